//! The `berth` binary: parse configuration, set up logging, open the store, serve.

use std::process::ExitCode;

use actix_web::{web, HttpServer};
use clap::Parser;

use berth::config::{
    AdminArgs, AdminCommand, Cli, Command, Config, RegistrationMode, ServeArgs, SetCommand,
};
use berth::core::accounts::Registration;
use berth::{core, AppState};

fn main() -> ExitCode {
    let cli = Cli::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let result = match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Admin(args)) => admin(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("berth: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> Result<(), String> {
    let config = Config::from_serve_args(&args);
    let state = web::Data::new(AppState::open(config).map_err(|e| e.message.to_string())?);
    let workers = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    actix_web::rt::System::new().block_on(async move {
        let app_state = state.clone();
        let stopping = state.clone();
        let server = HttpServer::new(move || berth::app(app_state.clone()));
        let server = berth::ops::conn::limit(server, &state.config)
            .workers(workers)
            .shutdown_timeout(30)
            .bind(args.listen)
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        log::info!("Berth listening on http://{}", args.listen);
        // SIGINT and SIGTERM stop accepting, let in-flight requests finish, and return Ok.
        let main = server.run();
        let Some(metrics_addr) = args.metrics_listen else {
            main.await.map_err(|e| e.to_string())?;
            write_pulls(&stopping);
            log::info!("Berth stopped");
            return Ok(());
        };
        let config = state.config.clone();
        let metrics = HttpServer::new(move || berth::metrics_app(state.clone()));
        let metrics = berth::ops::conn::limit(metrics, &config)
            .workers(1)
            .shutdown_timeout(1)
            .bind(metrics_addr)
            .map_err(|e| format!("cannot listen on {metrics_addr}: {e}"))?
            .run();
        log::info!("metrics on http://{metrics_addr}/metrics");
        let metrics_handle = metrics.handle();
        let metrics = actix_web::rt::spawn(metrics);
        let served = main.await;
        metrics_handle.stop(true).await;
        let _ = metrics.await;
        write_pulls(&stopping);
        served.map_err(|e| e.to_string())?;
        log::info!("Berth stopped");
        Ok(())
    })
}

/// Write the pull counts still in memory, once requests have stopped (`store::pulls`).
fn write_pulls(state: &AppState) {
    if let Err(e) = state.store.flush_pulls() {
        log::error!("writing the last pull counts failed: {e}");
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Progress lines on standard error: `backup: 42% (120.0 of 286.0 MiB)`.
fn progress(verb: &'static str) -> impl Fn(u64, u64) + Sync {
    move |done, total| {
        let pct = (done * 100).checked_div(total).unwrap_or(100);
        eprintln!("{verb}: {pct}% ({:.1} of {:.1} MiB)", mib(done), mib(total));
    }
}

fn admin(args: AdminArgs) -> Result<(), String> {
    let config = Config::from_store_args(&args.store);
    // These two read or write the data folder as files; they must not create a store.
    match &args.command {
        AdminCommand::Backup { file } => {
            let report = berth::ops::backup::backup(
                &config.data_dir,
                file,
                berth::ops::backup::PROGRESS_EVERY,
                &progress("backup"),
            )
            .map_err(|e| e.message.to_string())?;
            let s = &report.summary;
            println!(
                "backup: wrote {} ({:.1} MiB, integrity ok: {} accounts, {} repositories, {} tags, {} external repositories){}; blobs: {} copied, {} already there ({:.1} MiB)",
                file.display(),
                mib(report.bytes),
                s.accounts,
                s.repositories,
                s.tags,
                s.external_repositories,
                match &report.key_file {
                    Some(k) => format!(" and its secrets key {}", k.display()),
                    None => String::new(),
                },
                report.blobs.copied,
                report.blobs.kept,
                mib(report.blobs.bytes)
            );
            return Ok(());
        }
        AdminCommand::Restore { file } => {
            let (s, blobs) =
                berth::ops::backup::restore(file, &config.data_dir, &progress("restore"))
                    .map_err(|e| e.message.to_string())?;
            println!(
                "restore: {} restored into {} ({} accounts, {} repositories, {} tags, {} external repositories, {} blobs verified); start Berth on it",
                file.display(),
                config.data_dir.display(),
                s.accounts,
                s.repositories,
                s.tags,
                s.external_repositories,
                blobs.copied + blobs.kept
            );
            return Ok(());
        }
        _ => {}
    }
    let store = berth::store::Store::open(&config.data_dir).map_err(|e| e.message.to_string())?;
    let mut conn = store.conn().map_err(|e| e.message.to_string())?;
    match args.command {
        AdminCommand::ResetPassword { user } => {
            let password = core::accounts::reset_password(&mut conn, &user, config.bcrypt_cost)
                .map_err(|e| format!("{user}: {}", e.message))?;
            println!("{password}");
        }
        AdminCommand::Set {
            setting: SetCommand::PublicApi { value },
        } => {
            core::settings::set_public_api(&conn, value.is_on())
                .map_err(|e| e.message.to_string())?;
            println!("public-api is {}", value.as_str());
        }
        AdminCommand::Set {
            setting: SetCommand::Registration { value },
        } => {
            let mode = match value {
                RegistrationMode::Approval => Registration::Approval,
                RegistrationMode::Open => Registration::Open,
                RegistrationMode::Closed => Registration::Closed,
            };
            core::settings::set_registration(&conn, mode).map_err(|e| e.message.to_string())?;
            println!("registration is {}", mode.as_str());
        }
        AdminCommand::Backup { .. } | AdminCommand::Restore { .. } => {}
        AdminCommand::Gc { dry_run, gc } => {
            let options = berth::ops::gc::Options {
                dry_run,
                ..gc.options()
            };
            let report = berth::ops::gc::run(&mut conn, &config.data_dir, &options)
                .map_err(|e| e.message.to_string())?;
            let verb = if dry_run { "would remove" } else { "removed" };
            println!("gc: {verb} {report}");
        }
        AdminCommand::Fsck { repair } => {
            let report = berth::ops::fsck::run(&mut conn, &config.data_dir, repair)
                .map_err(|e| e.message.to_string())?;
            for p in &report.problems {
                println!("fsck: {p}");
            }
            println!(
                "fsck: checked {} blob(s) ({} bytes) and {} manifest(s): {} problem(s){}",
                report.blobs,
                report.bytes,
                report.manifests,
                report.problems.len(),
                if repair {
                    format!(", {} repaired", report.repaired)
                } else {
                    String::new()
                }
            );
            if !report.problems.is_empty() && !repair {
                return Err(format!(
                    "{} problem(s) found; `berth admin fsck --repair` quarantines them",
                    report.problems.len()
                ));
            }
        }
        AdminCommand::Quota { namespace, bytes } => {
            let (account, usage) = match bytes.as_deref() {
                None => core::accounts::get(&conn, &namespace).and_then(|a| {
                    let usage = core::quota::usage_of(&conn, &a)?;
                    Ok((a, usage))
                }),
                Some(text) => {
                    let bytes = match text {
                        "none" => None,
                        n => Some(n.parse::<u64>().map_err(|_| {
                            format!("{n}: the quota is a number of bytes, or none")
                        })?),
                    };
                    core::quota::set_quota_unchecked(&mut conn, &namespace, bytes)
                }
            }
            .map_err(|e| format!("{namespace}: {}", e.message))?;
            match usage.quota {
                Some(q) => println!(
                    "quota of {}: {q} bytes; it uses {} bytes",
                    account.name, usage.used
                ),
                None => println!(
                    "quota of {}: none; it uses {} bytes",
                    account.name, usage.used
                ),
            }
        }
        AdminCommand::RotateKey => {
            let keyring = berth::secrets::Keyring::open(&config.data_dir, &conn);
            let (count, key_id) = keyring
                .rotate(&mut conn)
                .map_err(|e| e.message.to_string())?;
            println!("re-encrypted {count} secret(s) under the new key {key_id}");
        }
    }
    Ok(())
}
