//! `ddlint explain RULE`: a rule's documentation.

use super::{setup_color, ColorChoice, Error};
use crate::rules;

pub fn explain(id: &str) -> Result<i32, Error> {
    setup_color(ColorChoice::Auto);
    match rules::meta(id) {
        Some(m) => {
            print!("{}", rules::meta::explain(m));
            Ok(0)
        }
        None => Err(format!(
            "no rule `{id}`{} (`ddlint rules` lists them)",
            rules::meta::did_you_mean(rules::meta::closest_rule(id))
        )
        .into()),
    }
}
