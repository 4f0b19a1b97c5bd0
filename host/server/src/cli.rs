//! The `callsheet` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::provision::{self, TenantSpec};
use crate::startup::{Application, shutdown_signal};
use crate::{demo, plugin_cli, storage, telemetry};

#[derive(Debug, Parser)]
#[command(name = "callsheet", version, about = "Plans event and show crews", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve {
        /// Create the demo tenant first (idempotent), for trying the server.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create the demo tenant with a festival week of data (idempotent) and print its login.
    Demo,
    /// Fill an existing, empty tenant with generated planning data (for load tests).
    Seed {
        /// The tenant's slug.
        #[arg(long)]
        tenant: String,
        /// festival-week (3 venues, 40 technicians, ~60 missions) or year (~5,000
        /// missions, 300 technicians).
        #[arg(long, value_enum, default_value = "festival-week")]
        preset: crate::demo::Preset,
        /// The generator's seed.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Start on this day's week (festival) or year (year), instead of today's.
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
    },
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Check and run rule plugins locally, under the server's sandbox.
    #[command(subcommand)]
    Plugin(PluginCommand),
}

#[derive(Debug, Subcommand)]
enum PluginCommand {
    /// Validate a plugin as an upload would and print its description.
    Validate {
        /// rules, assigner or payroll.
        #[arg(long)]
        slot: String,
        wasm: PathBuf,
    },
    /// Print a generated problem as JSON, to run plugins on (`docs/samples/problem.json`
    /// is `plugin sample --preset festival-week --seed 1`).
    Sample {
        /// festival-week (50 places), touring-month (500) or venue-season (5,000).
        #[arg(long, default_value = "festival-week")]
        preset: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Run a plugin on a JSON input and print its result and the fuel used.
    Run {
        /// rules, assigner or payroll.
        #[arg(long)]
        slot: String,
        wasm: PathBuf,
        /// The problem (rules, assigner), as JSON.
        #[arg(long)]
        problem: Option<PathBuf>,
        /// The pay input (payroll), as JSON.
        #[arg(long)]
        pay_input: Option<PathBuf>,
        /// The plugin's parameters, a JSON list of {name, value}; default: its defaults.
        #[arg(long)]
        params: Option<PathBuf>,
        /// For an assigner: the rules plugin to score with (default: the built-in one).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// For an assigner: the rules plugin's parameters, a JSON list of {name, value}, as a
        /// tenant's rules parameters; default: its defaults.
        #[arg(long)]
        rules_params: Option<PathBuf>,
        /// Fuel per call, the deterministic budget (for an assigner's rules plugin: for the
        /// whole run), 1,000,000 to 100,000,000,000; default: the runtime's (20,000,000,000).
        /// An assigner that declares `assigner.fuel-budget` (the default one does) is told
        /// this budget through it, as in a server run, unless `--params` sets it.
        #[arg(long)]
        fuel: Option<u64>,
        /// Wall-clock limit per call in milliseconds, 100 to 300,000; default: the runtime's
        /// (60,000).
        #[arg(long)]
        timeout_ms: Option<u64>,
        /// Linear memory cap of each plugin instance in MiB, 16 up to the server's (128);
        /// default: the server's. Lower it to see how much headroom a plugin has.
        #[arg(long)]
        memory_mib: Option<usize>,
        /// Run with this seed instead of the problem's (assigners and rules read it).
        #[arg(long)]
        seed: Option<u64>,
    },
}

#[derive(Debug, Subcommand)]
enum TenantCommand {
    /// Create a tenant and its first admin.
    Create {
        /// What users type at login: lower-case letters, digits, hyphens.
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "Europe/Paris")]
        time_zone: String,
        #[arg(long)]
        admin_email: String,
        /// The admin's password; read from the environment so it stays out of shell history.
        #[arg(long, env = "CALLSHEET_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: String,
    },
}

/// Runs the command line; the process exit code follows the result.
pub async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let config = Config::from_env()?;
    // Held to the end: dropping it sends the spans still batched.
    let _telemetry = telemetry::init(config.env);
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => {
            let app = Application::build(config).await?;
            if demo {
                let storage = &app.state().storage;
                let demo = provision::ensure_demo(storage).await?;
                fill_demo(storage, demo.tenant.id).await?;
                print_demo_login();
            }
            app.run_until(shutdown_signal()).await?;
        }
        Command::Migrate => {
            let storage = storage::connect(config.database_url.as_deref()).await?;
            tracing::info!(database = storage.backend(), "migrations applied");
        }
        Command::Demo => {
            let storage = storage::connect(config.database_url.as_deref()).await?;
            let demo = provision::ensure_demo(&storage).await?;
            fill_demo(&storage, demo.tenant.id).await?;
            let verb = if demo.created {
                "created"
            } else {
                "already present"
            };
            #[allow(clippy::print_stdout)] // the command's whole purpose is this output
            {
                println!("Demo tenant {verb}.");
                println!("  tenant:   {}", demo.tenant.slug);
                println!("  email:    {}", demo.admin.email);
                println!("  password: {}", provision::DEMO_ADMIN_PASSWORD);
                println!(
                    "WARNING: these credentials are public. Use the demo tenant for trying callsheet only;"
                );
                println!("         never create it on a server that holds real data.");
            }
        }
        Command::Seed {
            tenant,
            preset,
            seed,
            from,
        } => {
            let storage = storage::connect(config.database_url.as_deref()).await?;
            let slug = crate::domain::TenantSlug::parse(&tenant)?;
            let tenant = storage.tenant_by_slug(&slug).await?.ok_or_else(|| {
                format!("no tenant `{slug}`; create it with `callsheet tenant create`")
            })?;
            let day = from.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let spec = preset.spec(preset.first_monday(day), seed);
            #[allow(clippy::print_stdout)] // the command's output
            match demo::import(&storage, tenant.id, &spec).await? {
                Some(done) => println!(
                    "Imported into `{slug}` from {}: {} venues, {} technicians, {} missions, {} needs, {} assignments.",
                    spec.first_day,
                    done.venues,
                    done.technicians,
                    done.missions,
                    done.needs,
                    done.assignments
                ),
                None => println!("`{slug}` already has missions; nothing imported."),
            }
        }
        Command::Plugin(PluginCommand::Validate { slot, wasm }) => {
            print_json(&plugin_cli::validate(&slot, &wasm)?);
        }
        Command::Plugin(PluginCommand::Sample { preset, seed }) => {
            #[allow(clippy::print_stdout)] // the command's output
            {
                println!("{}", plugin_cli::sample(&preset, seed)?);
            }
        }
        Command::Plugin(PluginCommand::Run {
            slot,
            wasm,
            problem,
            pay_input,
            params,
            rules,
            rules_params,
            fuel,
            timeout_ms,
            memory_mib,
            seed,
        }) => {
            let request = plugin_cli::RunRequest {
                slot: &slot,
                wasm: &wasm,
                problem: problem.as_deref(),
                pay_input: pay_input.as_deref(),
                params: params.as_deref(),
                rules: rules.as_deref(),
                rules_params: rules_params.as_deref(),
                budget: crate::plugins::BudgetSetting { fuel, timeout_ms },
                memory_mib,
                seed,
            };
            print_json(&plugin_cli::run(&request)?);
        }
        Command::Tenant(TenantCommand::Create {
            slug,
            name,
            time_zone,
            admin_email,
            admin_password,
        }) => {
            let storage = storage::connect(config.database_url.as_deref()).await?;
            let spec = TenantSpec::parse(&slug, &name, &time_zone, &admin_email, &admin_password)?;
            let created = provision::create_tenant(&storage, spec).await?;
            #[allow(clippy::print_stdout)]
            {
                println!(
                    "Tenant `{}` created with admin {}.",
                    created.tenant.slug, created.admin.email
                );
            }
        }
    }
    Ok(())
}

/// The demo tenant's festival week, this week, unless it has data already.
async fn fill_demo(
    storage: &storage::DynStorage,
    tenant: crate::domain::TenantId,
) -> Result<(), Box<dyn std::error::Error>> {
    let preset = demo::Preset::FestivalWeek;
    let spec = preset.spec(preset.first_monday(chrono::Utc::now().date_naive()), 2026);
    if let Some(done) = demo::import(storage, tenant, &spec).await? {
        tracing::info!(missions = done.missions, technicians = done.technicians, week_of = %spec.first_day, "demo data imported");
    }
    Ok(())
}

#[allow(clippy::print_stdout)] // printed for the person who asked for the demo
fn print_demo_login() {
    println!("  tenant:   {}", provision::DEMO_TENANT);
    println!("  email:    {}", provision::DEMO_ADMIN_EMAIL);
    println!("  password: {}", provision::DEMO_ADMIN_PASSWORD);
    println!(
        "WARNING: these credentials are public. Use the demo tenant for trying callsheet only;"
    );
    println!("         never create it on a server that holds real data.");
}

#[allow(clippy::print_stdout)] // the command's output, for people and for `jq`
fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}
