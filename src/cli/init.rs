//! `clearpark init`: create (or bring up to date) the database and its priced resource.

use anyhow::Context;
use clearpark::config::Config;
use clearpark::store::{self, resource, tariffs};

pub fn run(config: &Config) -> anyhow::Result<()> {
    let mut store = super::open_store(config)?;
    outln!(
        "database {} ready (schema version {})",
        config.booth.database.display(),
        store::SCHEMA_VERSION
    )?;
    let res = match &config.resource {
        Some(seed) => resource::upsert(
            store.conn(),
            &config.booth.res_guid,
            &seed.name,
            seed.price_per_minute,
            &seed.currency,
            clearpark::booth::clock::now(),
        )
        .context("cannot write the resource")?,
        None => match resource::get_by_guid(store.conn(), &config.booth.res_guid)? {
            Some(res) => res,
            None => anyhow::bail!(
                "booth.res_guid {} is not in tbl_dk_resource and the config has no [resource] to create it",
                config.booth.res_guid
            ),
        },
    };
    outln!(
        "resource {:?} ({}) prices parking at {} {} per minute",
        res.name,
        res.guid,
        res.price_per_minute,
        res.currency
    )?;
    // A new database takes the config's price board (or the standard per-minute tariff).
    let tx = store.transaction()?;
    tariffs::seed(
        &tx,
        &config.tariffs,
        &res.currency,
        config.booth.lost_ticket_fee,
        clearpark::booth::clock::now(),
    )
    .context("cannot write the config's tariffs")?;
    tx.commit()?;
    for t in tariffs::list(store.conn())? {
        let assigned = if t.assigned_to.is_empty() {
            String::new()
        } else {
            format!(", prices {}", t.assigned_to.join(", "))
        };
        outln!(
            "tariff {} v{}{assigned}",
            t.name,
            t.versions.first().map_or(0, |v| v.version)
        )?;
    }
    Ok(())
}
