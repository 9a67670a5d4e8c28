/// mimalloc: a replay allocates and frees millions of small syntax-tree
/// nodes, many on another thread than the one that made them (parse-ahead,
/// projects in parallel). glibc's malloc spent a third of a corpus run in
/// its own code and lock waits; mimalloc frees across threads without a
/// shared lock. Built without transparent huge pages, which inflated RSS.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(ddlint::cli::main());
}
