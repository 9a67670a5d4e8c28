fn main() {
    std::process::exit(ddlint::cli::main());
}
