//! `care serve token add|list|revoke`: a link per staff member, with which the page writes
//! as that person (issue 28, docs/serve.md). The store and its rules are `book::tokens`;
//! this prints the link once (and as a QR code a phone scans off the screen), since only
//! the secret's hash is kept.

use std::io::Write;

use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

use crate::book::tokens::{self, Tokens};
use crate::cmd::Ctx;
use crate::error::{Error, Result};
use crate::output::{self, Cell, Rows};
use crate::web;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Make NAME's link and print it (with a QR code on a terminal); an earlier link of
    /// NAME's stops working.
    #[command(after_help = "\
The link is printed once, on stdout: only the SHA-256 of its secret is kept, in the clone's
.care/serve-tokens (never committed). Lost? Make a new one; the old one then stops working.
The QR code is drawn for a terminal with a dark background (light blocks); phone cameras
read it either way.

Examples:
  care serve token add billy                      http://192.168.1.20:8080/welcome?key=…
  care serve token add billy --host care.local    serve with `care serve --host care.local`
  care serve token add billy --qr > billy.txt     the link and its QR code, to print")]
    Add(AddArgs),
    /// Who has a link, and since when (never the secret).
    #[command(after_help = "Examples:\n  care serve token list\n  care serve token list --format csv")]
    List,
    /// Remove NAME's link: the link, and every page opened with it, stop at once.
    #[command(after_help = "Example:\n  care serve token revoke billy")]
    Revoke(RevokeArgs),
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The staff member (one of `staff:` in care.yaml, when the book lists staff).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The port `care serve` listens on.
    #[arg(long, default_value_t = 8080, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,
    /// The name or address phones reach this machine by (default: its address on the
    /// network, as `care serve --bind 0.0.0.0` prints it); give the page the same `--host`.
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Print the QR code even when stdout is not a terminal.
    #[arg(long)]
    pub qr: bool,
}

#[derive(Debug, clap::Args)]
pub struct RevokeArgs {
    /// The staff member whose link stops working.
    #[arg(value_name = "NAME")]
    pub name: String,
}

pub fn run(ctx: &Ctx, command: &Command, out: &mut dyn Write) -> Result<()> {
    match command {
        Command::Add(args) => add(ctx, args, out),
        Command::List => list(ctx, out),
        Command::Revoke(args) => revoke(ctx, args),
    }
}

fn add(ctx: &Ctx, args: &AddArgs, out: &mut dyn Write) -> Result<()> {
    if let Some(host) = &args.host {
        web::guard::valid_host(host)?;
    }
    let host = args.host.clone().unwrap_or_else(|| web::lan_host(ctx.book.settings.host.as_deref()));
    let issued = ctx.book.issue_staff_token(&args.name)?;
    let link = format!("http://{}/welcome?key={}", with_port(&host, args.port), issued.secret);
    writeln!(out, "{link}").map_err(Error::Output)?;
    if ctx.ui.out_terminal || args.qr {
        writeln!(out, "{}", qr(&link)?).map_err(Error::Output)?;
    }
    let name = &issued.name;
    if let Some(old) = &issued.replaced {
        ctx.ui.say(&format!("{name}'s earlier link (made {}) no longer works", old.created));
    }
    let serve = match (&args.host, args.port) {
        (Some(h), 8080) => format!("care serve --bind 0.0.0.0 --host {h} --allow write"),
        (Some(h), p) => format!("care serve --bind 0.0.0.0 --port {p} --host {h} --allow write"),
        (None, 8080) => "care serve --bind 0.0.0.0 --allow write".to_string(),
        (None, p) => format!("care serve --bind 0.0.0.0 --port {p} --allow write"),
    };
    ctx.ui.say(&format!(
        "a link for {name}: it is shown only now (only its hash is kept, in {}); whoever opens it writes \
         as {name}. The page: `{serve}`",
        tokens::STORE
    ));
    Ok(())
}

/// `host:port`, with brackets around an IPv6 address.
fn with_port(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// The link as a QR code in Unicode half blocks (two modules a character, so it fits a
/// terminal), with its quiet zone; light modules are blocks, for a dark terminal.
fn qr(link: &str) -> Result<String> {
    let code = QrCode::new(link.as_bytes())
        .map_err(|e| Error::Refused(format!("cannot draw the link as a QR code ({e}); open the link itself")))?;
    Ok(code.render::<Dense1x2>().dark_color(Dense1x2::Light).light_color(Dense1x2::Dark).quiet_zone(true).build())
}

fn list(ctx: &Ctx, out: &mut dyn Write) -> Result<()> {
    let mut rows = Rows::new(&["name", "created"]);
    for t in ctx.book.staff_tokens()?.tokens {
        let created = chrono::DateTime::parse_from_rfc3339(&t.created).map_or(Cell::text(t.created), Cell::Time);
        rows.push(vec![t.name.into(), created]);
    }
    output::print(out, &ctx.style, &rows)
}

fn revoke(ctx: &Ctx, args: &RevokeArgs) -> Result<()> {
    if ctx.book.revoke_staff_token(&args.name)? {
        ctx.ui.say(&format!("{}'s link no longer works", args.name.trim()));
        return Ok(());
    }
    let Tokens { tokens } = ctx.book.staff_tokens()?;
    let holders: Vec<&str> = tokens.iter().map(|t| t.name.as_str()).collect();
    let who =
        if holders.is_empty() { "nobody has one".to_string() } else { format!("those who do: {}", holders.join(", ")) };
    Err(Error::NotFound(format!("{:?} has no link to revoke ({who}); nothing was changed", args.name.trim())))
}
