//! The `callsheet` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::app::{Application, shutdown_signal};
use crate::config::Config;
use crate::provision::{self, TenantSpec};
use crate::{plugin_cli, storage, telemetry};

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
    /// Create the demo tenant (idempotent) and print its login.
    Demo,
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
    telemetry::init(config.env);
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => {
            let app = Application::build(config).await?;
            if demo {
                provision::ensure_demo(&app.state().storage).await?;
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
        }) => {
            let request = plugin_cli::RunRequest {
                slot: &slot,
                wasm: &wasm,
                problem: problem.as_deref(),
                pay_input: pay_input.as_deref(),
                params: params.as_deref(),
                rules: rules.as_deref(),
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
