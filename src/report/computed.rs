//! The computed dimensions of incidents (`returned`, `extra_given`): worked out only when
//! a command's `--where` or `--by` names them (`returned` reads every customer's visits),
//! then added to each incident's fields as if the record had them, so the one filter and
//! the tallies treat them like any field. The visits are read by the caller and passed in.

use std::borrow::Cow;

use crate::error::Error;
use crate::model::Incident;
use crate::model::visit::Returns;
use crate::report::query::{Extras, Query};

/// The dimensions a command was asked for, ready to add to each incident's fields.
#[derive(Debug, Default)]
pub struct Computed {
    returns: Option<Returns>,
    extra_given: bool,
}

impl Computed {
    /// What `query` and `dims` name. `returns` reads every customer's visits (with the
    /// files that could not be read); it is called only when `returned` is named.
    pub fn asked<'a>(
        query: &Query,
        dims: impl IntoIterator<Item = &'a str> + Clone,
        returns: impl FnOnce() -> (Returns, Vec<Error>),
    ) -> (Computed, Vec<Error>) {
        let wants =
            |name: &str| query.conds.iter().any(|c| c.field == name) || dims.clone().into_iter().any(|d| d == name);
        let (returns, problems) = if wants("returned") {
            let (r, p) = returns();
            (Some(r), p)
        } else {
            (None, Vec::new())
        };
        (Computed { returns, extra_given: wants("extra_given") }, problems)
    }

    /// Whether any is asked for (else fields are used as they are, without a copy).
    pub fn any(&self) -> bool {
        self.returns.is_some() || self.extra_given
    }

    /// The incident's fields with the dimensions asked for: the fields themselves when
    /// none is, else a copy with them added.
    pub fn with<'a>(&self, incident: &Incident, fields: &'a Extras) -> Cow<'a, Extras> {
        if !self.any() {
            return Cow::Borrowed(fields);
        }
        let mut extras = fields.clone();
        self.add(incident, &mut extras);
        Cow::Owned(extras)
    }

    /// Add the dimensions asked for to the incident's fields.
    pub fn add(&self, incident: &Incident, fields: &mut Extras) {
        if let Some(r) = &self.returns {
            fields.insert("returned".into(), r.of(incident).into());
        }
        if self.extra_given {
            fields.insert("extra_given".into(), incident.extra_given().into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visits_are_read_only_when_returned_is_named() {
        let reads = std::cell::Cell::new(0);
        let read = || {
            reads.set(reads.get() + 1);
            (Returns::default(), Vec::new())
        };
        let (c, _) = Computed::asked(&Query::default(), ["location"], read);
        assert!(!c.any());
        let (c, _) = Computed::asked(&Query::default(), ["extra_given"], read);
        assert!(c.any() && c.returns.is_none());
        assert_eq!(reads.get(), 0);
        let q = Query { conds: vec!["returned=yes".parse().expect("a condition")], ..Query::default() };
        let (c, _) = Computed::asked(&q, [], read);
        assert!(c.returns.is_some() && !c.extra_given);
        assert_eq!(reads.get(), 1);
    }
}
