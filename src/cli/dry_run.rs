//! `ddlint dry-run`: the arguments turned into a `dryrun::Request`, the
//! run, and its report.

use std::io::Write;

use super::{duration_arg, setup_color, DryRunArgs, Error};
use crate::report::{self, dryrun::Format, dryrun::Progress};
use crate::source::{SourceArgs, Sources};

pub fn dry_run(args: DryRunArgs) -> Result<i32, Error> {
    setup_color(args.common.color);
    let prepared = (|| -> Result<crate::dryrun::Request, Error> {
        let mut settings = args.common.settings()?;
        if args.assume_in_transaction {
            settings.assume_in_transaction = Some(true);
        }
        settings
            .load_stats(args.stats.as_deref())
            .map_err(|e| e.to_string())?;
        if args.seed_rows == Some(super::SeedRows::Auto) && settings.stats.is_none() {
            return Err("--seed-rows auto takes each table's row count from production statistics: give --stats FILE (written by `ddlint stats`)".into());
        }
        let lock = args.applied.lock_file()?;
        let sources = Sources::new(
            &SourceArgs {
                layout: args.tool.layout,
                vars: &args.tool.vars,
                since: args.since.as_deref(),
                include_down: false,
                stdin_filename: None,
                schema: &args.schema,
                max_file_size: args.common.max_file_size,
                variables: &settings.variables,
                assume_in_transaction: settings.assume_in_transaction.unwrap_or(false),
                applied: lock.as_deref(),
            },
            &args.paths,
        )?;
        let (loaded, mut inputs) = sources.load(&args.paths, &|p| settings.excluded(p))?;
        settings.prepare_sessions(&mut inputs);
        // One session runs every file: the runner's for the first file run.
        let reported: Vec<&crate::input::Input> = inputs.iter().filter(|i| i.report).collect();
        let runner = reported
            .first()
            .and_then(|i| i.session.as_deref())
            .cloned()
            .unwrap_or_default();
        if let Some(other) = reported
            .iter()
            .find(|i| i.session.as_deref().cloned().unwrap_or_default() != runner)
        {
            eprintln!(
                "ddlint: warning: `session:` overrides give {} another session than {}; dry-run runs every file in one session, with {}'s settings",
                other.path, reported[0].path, reported[0].path
            );
        }
        if let Some(e) = loaded.failed.first() {
            return Err(e.clone().into());
        }
        // One database: projects that check replays apart cannot run in it
        // together.
        let projects = &loaded.coverage.projects;
        if projects.len() > 1 {
            let names: Vec<&str> = projects.iter().map(|p| p.root.as_str()).collect();
            return Err(format!(
                "dry-run runs one project's migrations on one database, and these paths hold {}: {}; dry-run each project's directory on its own",
                projects.len(),
                names.join(", ")
            )
            .into());
        }
        Ok(crate::dryrun::Request {
            inputs,
            coverage: loaded.coverage,
            db: args.db.clone(),
            pg_bin: args.pg_bin.clone(),
            seed_rows: args.seed_rows.map(|r| match r {
                super::SeedRows::Fixed(n) => crate::dryrun::seed::Rows::Fixed(n),
                super::SeedRows::Auto => {
                    crate::dryrun::seed::Rows::FromStats { max: args.seed_max }
                }
            }),
            config: crate::dryrun::run::Config {
                commit: args.commit,
                lock_timeout: match &args.lock_timeout {
                    Some(v) => duration_arg("lock-timeout", v)?,
                    None => runner
                        .lock_timeout
                        .unwrap_or(Some(std::time::Duration::from_secs(2))),
                },
                statement_timeout: match &args.statement_timeout {
                    Some(v) => duration_arg("statement-timeout", v)?,
                    None => runner.statement_timeout.unwrap_or(None),
                },
                deadlock_timeout: duration_arg("deadlock-timeout", &args.deadlock_timeout)?,
                log_lock_waits: !args.no_log_lock_waits,
                probe: args.probe,
                long_transaction: duration_arg("long-transaction", &args.long_transaction)?
                    .unwrap_or(std::time::Duration::from_secs(60)),
                timezone: args.timezone.clone().or(runner.timezone.clone()),
                search_path: runner.search_path.clone(),
                role: runner.role.clone(),
                clients: match args.clients {
                    Some(n) if n > 0 => Some((
                        n,
                        match args.rate {
                            Some(r) if r > 0.0 && r.is_finite() => Some(r),
                            Some(r) => {
                                return Err(format!(
                                    "--rate {r}: expected requests per second above 0"
                                )
                                .into())
                            }
                            // From --stats once the touched tables are known.
                            None => None,
                        },
                    )),
                    Some(_) => return Err("--clients 0: give at least one client".into()),
                    None => None,
                },
                client_timeout: duration_arg("client-timeout", &args.client_timeout)?
                    .unwrap_or(std::time::Duration::from_secs(3600)),
                on_error_stop: args
                    .tool
                    .vars
                    .iter()
                    .rev()
                    .find(|(k, _)| k == "ON_ERROR_STOP")
                    .and_then(|(_, v)| crate::dryrun::plan::psql_bool(v))
                    .unwrap_or(false),
            },
            application_name: args.application_name.clone(),
            pending_from_history: args.db.is_some() && args.since.is_none() && lock.is_none(),
            settings,
        })
    })();
    // On a terminal, where it runs and what is running, cleared when the
    // report (which names the target once) is written.
    let mut progress = Progress::new(!args.quiet);
    let done = crate::dryrun::execute(prepared?, &mut progress).map_err(Error::DryRun)?;
    let write = |format: Format, w: &mut dyn Write| {
        report::dryrun::write(
            w,
            format,
            &done.analysis,
            &done.findings,
            &done.run,
            &done.info,
            args.markdown.markdown_limit,
        )
        .and_then(|_| w.flush())
    };
    match &args.output {
        Some(path) => {
            std::fs::File::create(path)
                .and_then(|f| write(args.format, &mut std::io::BufWriter::new(f)))
                .map_err(|e| {
                    Error::Report(format!("{}: cannot write the report: {e}", path.display()))
                })?;
            if args.format != Format::Text {
                let _ = write(Format::Text, &mut std::io::stderr().lock());
            }
        }
        None => {
            let _ = write(
                args.format,
                &mut std::io::BufWriter::new(std::io::stdout().lock()),
            );
        }
    }
    // The throwaway server stops once the report is out.
    match done.exit_code() {
        0 if args.fail_on_disagreement && done.run.disagreements() > 0 => {
            eprintln!(
                "ddlint: {} observation(s) differ from ddlint check's prediction (--fail-on-disagreement)",
                done.run.disagreements()
            );
            Ok(1)
        }
        code => Ok(code),
    }
}
