use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// `--version`: the package version, then the git revision in parentheses when build.rs
/// knows it (`1.0.0 (c427089)`).
const VERSION: &str = env!("STAGEFILE_VERSION");

/// Declarative multi-stage container builds, as a BuildKit frontend.
#[derive(Parser)]
#[command(name = "stagefile", version = VERSION, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve BuildKit's gateway API on stdin/stdout (what the frontend image runs).
    Frontend,
    /// Write DIR/Stagefile for the project found there (go.mod, package.json, pyproject.toml
    /// or requirements.txt, Cargo.toml, pom.xml or build.gradle, Java sources), using the
    /// matching preset.
    Init {
        /// The project's folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Replace an existing Stagefile.
        #[arg(long)]
        force: bool,
        /// The frontend image named by the `# syntax=` line.
        #[arg(long, value_name = "IMAGE", default_value = stagefile::convert::DEFAULT_SYNTAX)]
        syntax: String,
    },
    /// Print the Stagefile with its preset stages written out, as builds see it.
    Expand {
        /// The Stagefile; `-` reads it from standard input.
        file: PathBuf,
    },
    /// Parse and validate a Stagefile; print located errors with a code frame.
    Check {
        /// The Stagefile; `-` reads it from standard input.
        file: PathBuf,
        #[command(flatten)]
        build: BuildArgs,
        /// The build context, where the files the Stagefile includes are read from.
        #[arg(long, value_name = "DIR", default_value = ".")]
        context: PathBuf,
    },
    /// Print the LLB definition (protobuf, as `buildctl build` reads it) for a Stagefile.
    ///
    /// Base image configs are not resolved offline: steps see only the Stagefile's
    /// own environment, not the base image's.
    Llb {
        /// The Stagefile; `-` reads it from standard input.
        file: PathBuf,
        #[command(flatten)]
        build: BuildArgs,
        /// The build context the definition will be built with (`buildctl --local
        /// context=DIR`): its `.dockerignore` filters what the client sends, and the
        /// files the Stagefile includes are read from it.
        #[arg(long, value_name = "DIR", default_value = ".")]
        context: PathBuf,
        /// Print a readable JSON dump of the ops instead of protobuf bytes.
        #[arg(long)]
        dump: bool,
        /// Print the graphs of the stages' tests instead, as a JSON list of
        /// `{stage, name, line, ops}` (each `ops` as `--dump` prints them).
        #[arg(long)]
        tests: bool,
    },
    /// List the stages, args, secrets and caches a build would use, without building.
    Outline {
        /// The Stagefile; `-` reads it from standard input.
        file: PathBuf,
        #[command(flatten)]
        build: BuildArgs,
        /// The build context, where the files the Stagefile includes are read from.
        #[arg(long, value_name = "DIR", default_value = ".")]
        context: PathBuf,
        /// Print BuildKit's JSON shapes (`targets` and `outline`) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print the JSON Schema of the Stagefile format (for editors and validators).
    Schema,
    /// Write the Stagefile equivalent to a multi-stage Dockerfile.
    ///
    /// What has no Stagefile equivalent (ONBUILD, for instance) is an error that names
    /// the Dockerfile's line.
    Convert {
        /// The Dockerfile; `-` reads it from standard input.
        #[arg(default_value = "Dockerfile")]
        file: PathBuf,
        /// Write the Stagefile to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace the output file if it exists.
        #[arg(long)]
        force: bool,
        /// The frontend image named by the `# syntax=` line.
        #[arg(long, value_name = "IMAGE", default_value = stagefile::convert::DEFAULT_SYNTAX)]
        syntax: String,
    },
}

#[derive(clap::Args)]
struct BuildArgs {
    /// Stage to build (default: the file's `target`, else the last stage).
    #[arg(long)]
    target: Option<String>,
    /// Build arg override, NAME=VALUE (repeatable).
    #[arg(long = "build-arg", value_name = "NAME=VALUE")]
    build_args: Vec<String>,
    /// Target platform, e.g. linux/arm64.
    #[arg(long)]
    platform: Option<String>,
    /// Named context, NAME=VALUE as `docker buildx build --build-context` takes it: a
    /// directory, or `docker-image://REF` (repeatable).
    #[arg(long = "build-context", value_name = "NAME=VALUE")]
    build_contexts: Vec<String>,
}

// Compiling a large Stagefile makes hundreds of thousands of small allocations, and the
// image's binary is static musl, whose allocator is far slower at that than mimalloc.
// Transparent huge pages are off (the `no_thp` feature): they save page faults but raise
// peak RSS by half, past the 30 MB a 1,000-stage file may take.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The frontend's stderr goes to the engine's log, where one line per build about its
    // timing is useful; the command-line tools print only warnings and errors.
    let default_level = match cli.command {
        Cmd::Frontend => "info",
        _ => "warn",
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default_level))
        .target(env_logger::Target::Stderr)
        .init();
    match cli.command {
        Cmd::Frontend => stagefile::gateway::run(),
        Cmd::Check {
            file,
            build,
            context,
        } => stagefile::cli::check(&file, &build.options(), &build.dirs(context)),
        Cmd::Expand { file } => stagefile::cli::expand(&file),
        Cmd::Init { dir, force, syntax } => stagefile::preset::init::run(&dir, force, &syntax),
        Cmd::Llb {
            file,
            build,
            context,
            dump,
            tests,
        } => stagefile::cli::llb(&file, &build.options(), &build.dirs(context), dump, tests),
        Cmd::Outline {
            file,
            build,
            context,
            json,
        } => stagefile::cli::outline(&file, &build.options(), &build.dirs(context), json),
        Cmd::Convert {
            file,
            output,
            force,
            syntax,
        } => stagefile::convert::cli::run(&file, output.as_deref(), force, &syntax),
        Cmd::Schema => {
            print!("{}", stagefile::spec::schema());
            ExitCode::SUCCESS
        }
    }
}

impl BuildArgs {
    /// Where included files are read: the context, and named contexts given as directories.
    fn dirs(&self, context: PathBuf) -> stagefile::cli::Dirs {
        let named = self
            .build_contexts
            .iter()
            .filter_map(|kv| kv.split_once('='))
            .filter(|(_, v)| !v.contains("://") && !v.starts_with("input:"))
            .map(|(k, v)| (k.to_owned(), PathBuf::from(v)))
            .collect();
        stagefile::cli::Dirs { context, named }
    }

    fn options(&self) -> Result<stagefile::plan::BuildOptions, String> {
        let mut opts = stagefile::plan::BuildOptions {
            target: self.target.clone(),
            ..Default::default()
        };
        for kv in &self.build_args {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| format!("--build-arg `{kv}` needs the form NAME=VALUE"))?;
            opts.build_args.insert(k.to_owned(), v.to_owned());
        }
        for kv in &self.build_contexts {
            let (name, value) = kv
                .split_once('=')
                .ok_or_else(|| format!("--build-context `{kv}` needs the form NAME=VALUE"))?;
            // buildx sends a directory as the local `NAME`; the other forms pass through.
            let source = if value.contains("://") || value.starts_with("input:") {
                stagefile::plan::named_context(value)?
            } else {
                stagefile::plan::Source::Local(name.to_owned())
            };
            opts.named_contexts.insert(name.to_owned(), source);
        }
        if let Some(p) = &self.platform {
            opts.target_platform = stagefile::platform::Platform::parse(p)?;
        }
        Ok(opts)
    }
}
