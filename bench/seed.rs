//! Seed a Berth store for the load scenarios in `bench/`.
//!
//! `cargo run --release --example seed -- DATA_DIR REPOS`
//!
//! Creates the site admin (`admin` / `bench-admin-pw`), the user `bench` (`bench-password`)
//! owning 50 repositories, and enough other users with 50 repositories each (half public,
//! half private, markdown descriptions) to reach REPOS repositories in all, every repository
//! with two tags. Idempotent: a store that already has the user `bench` is left alone.

use std::path::PathBuf;
use std::process::ExitCode;

use berth::core::accounts;
use berth::store::{self, accounts::NewUser, repos::NewRepository, tags::Image, Store};

const WORDS: &[&str] = &[
    "app", "web", "api", "db", "cache", "proxy", "worker", "queue", "auth", "search", "build",
    "edge", "metrics", "logs", "mail", "media", "static", "admin", "cron", "gateway",
];

const PER_NAMESPACE: usize = 50;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(total)) = (
        args.next(),
        args.next().and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: seed DATA_DIR REPOS");
        return ExitCode::FAILURE;
    };
    match seed(PathBuf::from(dir), total) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("seed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn seed(dir: PathBuf, total: usize) -> Result<(), berth::error::Error> {
    let store = Store::open(&dir)?;
    let mut conn = store.conn()?;
    accounts::bootstrap(&mut conn, Some("bench-admin-pw"), 12)?;
    if store::accounts::by_name(&conn, "bench")?.is_some() {
        println!("store at {} is already seeded", dir.display());
        return Ok(());
    }
    let bench_hash = accounts::hash_password("bench-password", 12)?;
    // One hash shared by every other user: computed once, yet each login of one of them
    // costs a real cost-12 verification (the mixed load logs them in).
    let other_hash = accounts::hash_password("other-password", 12)?;
    let namespaces = total.div_ceil(PER_NAMESPACE);
    store::write(&mut conn, |tx| {
        let mut made = 0;
        for n in 0..namespaces {
            let (name, hash) = if n == 0 {
                ("bench".to_owned(), &bench_hash)
            } else {
                (format!("u{n:05}"), &other_hash)
            };
            let email = format!("{name}@bench.local");
            let ns = store::accounts::insert_user(
                tx,
                &NewUser {
                    name: &name,
                    password_hash: hash,
                    email: Some(&email),
                    is_active: true,
                    is_admin: false,
                },
            )?;
            for i in 0..PER_NAMESPACE.min(total - made) {
                let word = WORDS[(n * 7 + i) % WORDS.len()];
                let other = WORDS[(n + i * 3) % WORDS.len()];
                let repo_name = format!("{word}-{i:02}");
                let short = format!("The {word} service with {other} support");
                let long = format!(
                    "# {word}\n\nA **{word}** image for the *{other}* tier.\n\n* built nightly\n* `docker pull {name}/{repo_name}`\n"
                );
                let html = berth::markdown::render(&long);
                let repo = store::repos::insert(
                    tx,
                    &ns,
                    &NewRepository {
                        name: &repo_name,
                        short_description: &short,
                        long_description: &long,
                        long_description_html: html.as_str(),
                        is_public: i % 2 == 0,
                    },
                )?;
                let image = format!(
                    "{:064x}",
                    (n * PER_NAMESPACE + i) as u128 * 0x9e37_79b9_7f4a_7c15
                );
                store::tags::merge_images(
                    tx,
                    repo.id,
                    &[Image {
                        image_id: image.clone(),
                        checksum: None,
                    }],
                )?;
                store::tags::set_tag(tx, repo.id, "latest", &image)?;
                store::tags::set_tag(tx, repo.id, "v1", &image)?;
                made += 1;
            }
        }
        println!(
            "seeded {made} repositories in {namespaces} namespaces at {}",
            dir.display()
        );
        Ok(())
    })
}
