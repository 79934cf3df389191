//! `golden catalog register|list|show|unregister|import`: the configured catalog (Backstage or
//! golden's local one) from the command line. Data goes to stdout, messages to stderr.

use serde_json::Value;

use crate::catalog::{self, entity, Catalog, Filter};
use crate::cli::CatalogCommand;
use crate::error::{Error, Result};
use crate::output::Printer;
use crate::settings::CatalogSettings;

pub fn run(args: CatalogSettings, printer: Printer) -> Result<i32> {
    let ctx = &args.context;
    let catalog = catalog::open(&ctx.config, &ctx.home, &ctx.cwd)?;
    let say = |line: String| printer.status(line);
    match args.command {
        CatalogCommand::Register { location } => {
            let r = catalog.register(&location)?;
            report(&*catalog, &r, &say, printer.clone());
        }
        CatalogCommand::Import { file } => {
            let r = catalog.import(&file)?;
            report(&*catalog, &r, &say, printer.clone());
        }
        CatalogCommand::List { kind, owner, json } => {
            let filter = Filter {
                kinds: kind,
                owner,
                fields: Vec::new(),
            };
            let items = catalog.list(&filter)?;
            if json {
                printer.data(serde_json::to_string_pretty(&items).unwrap_or_default());
            } else if items.is_empty() {
                say(format!(
                    "no entities in {}{}",
                    catalog.describe(),
                    if filter.kinds.is_empty() && filter.owner.is_none() {
                        ""
                    } else {
                        " match"
                    }
                ));
            } else {
                print_table(&items, printer);
            }
        }
        CatalogCommand::Show { entity_ref, json } => {
            let full = catalog::full_ref(&entity_ref, Some("Component"), None)?;
            match catalog.get(&full)? {
                Some(e) if json => {
                    printer.data(serde_json::to_string_pretty(&e).unwrap_or_default())
                }
                Some(e) => printer
                    .data_raw(&crate::actions::yaml_out::stringify(&e))
                    .map_err(|e| Error::internal(format!("cannot write to stdout: {e}")))?,
                None => {
                    return Err(
                        Error::usage(format!("{full} is not in {}", catalog.describe()))
                            .hint("`golden catalog list` shows what is registered"),
                    )
                }
            }
        }
        CatalogCommand::Unregister { entity_ref } => {
            let full = catalog::full_ref(&entity_ref, Some("Component"), None)?;
            let u = catalog.unregister(&full)?;
            say(format!(
                "unregistered {} from {}",
                u.location,
                catalog.describe()
            ));
            for r in &u.removed {
                printer.data(r);
            }
        }
    }
    Ok(0)
}

fn report(
    catalog: &dyn Catalog,
    r: &catalog::Registration,
    say: &dyn Fn(String),
    printer: Printer,
) {
    if r.already_registered {
        say(format!(
            "{} was already registered in {}; its entities were refreshed from the file",
            r.location,
            catalog.describe()
        ));
    } else {
        say(format!(
            "registered {} in {}",
            r.location,
            catalog.describe()
        ));
    }
    for e in &r.entities {
        printer.data(entity::ref_of(e));
    }
}

/// REF, TYPE, OWNER columns.
fn print_table(items: &[Value], printer: Printer) {
    let rows: Vec<[String; 3]> = items
        .iter()
        .map(|e| {
            let owner = e["relations"]
                .as_array()
                .and_then(|rels| rels.iter().find(|r| r["type"] == "ownedBy"))
                .and_then(|r| r["targetRef"].as_str())
                .or_else(|| e["spec"]["owner"].as_str())
                .unwrap_or("-");
            [
                entity::ref_of(e),
                e["spec"]["type"].as_str().unwrap_or("-").to_string(),
                owner.to_string(),
            ]
        })
        .collect();
    let w0 = rows.iter().map(|r| r[0].len()).max().unwrap_or(0).max(3);
    let w1 = rows.iter().map(|r| r[1].len()).max().unwrap_or(0).max(4);
    printer.data(format!("{:<w0$}  {:<w1$}  OWNER", "REF", "TYPE"));
    for [a, b, c] in rows {
        printer.data(format!("{a:<w0$}  {b:<w1$}  {c}"));
    }
}
