//! Finding the record a person names: a customer by id or part of a name, an incident by
//! id, prefix or random part, and the incidents a customer's file links.

use super::*;

impl Book {
    /// The file of the customer with this id, wherever under `customers/` it is.
    pub fn customer_file(&self, id: &str) -> Option<PathBuf> {
        id::check_customer_id(id).ok()?;
        let direct = self.customer_path(id);
        if direct.is_file() {
            return Some(direct);
        }
        let (files, _) = self.record_files(CUSTOMERS);
        files.into_iter().find(|p| p.file_stem().is_some_and(|s| s == id))
    }

    /// The customers with these ids, for the rows of what names them: those `known`
    /// already, the rest read by id, each once. Only these are read, never the whole book
    /// (`followup due` and `serve` list a few thousand items among a hundred thousand
    /// customers). An id with no file is left out; a file that cannot be read is a problem.
    pub fn customers_by_id<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a str>,
        known: impl IntoIterator<Item = (String, Customer)>,
    ) -> (std::collections::HashMap<String, Customer>, Vec<Error>) {
        let mut customers: std::collections::HashMap<_, _> = known.into_iter().collect();
        let mut problems = Vec::new();
        for id in ids {
            if !id.is_empty() && !customers.contains_key(id) {
                match self.customer_by_id(id) {
                    Ok(Some(c)) => drop(customers.insert(id.to_string(), c)),
                    Ok(None) => {}
                    Err(e) => problems.push(e),
                }
            }
        }
        (customers, problems)
    }

    /// The customer named by `query`: an id, or a unique case-insensitive part of a name.
    /// An id whose file sits where new records go is read without loading the book.
    pub fn find_customer(&self, query: &str) -> Result<(PathBuf, Customer)> {
        let query = query.trim();
        if query.is_empty() {
            return Err(Error::Usage("a customer id or name is needed".into()));
        }
        if id::check_customer_id(query).is_ok() {
            let direct = self.customer_path(query);
            if direct.is_file() {
                return Ok((direct.clone(), self.read(&direct)?));
            }
        }
        let loaded = self.customers();
        let customers: Vec<&Customer> = loaded.records.iter().map(|(_, c)| c).collect();
        match customer::pick(query, &customers) {
            Pick::One(i) => Ok(loaded.records.into_iter().nth(i).expect("pick returns an index into the list")),
            Pick::Many(found) => Err(Error::Ambiguous {
                what: "customer",
                input: query.to_string(),
                candidates: found.iter().map(|&i| format!("{}  ({})", customers[i].id, customers[i].name)).collect(),
            }),
            Pick::None => {
                let unread = loaded.problems.len();
                let also = if unread > 0 {
                    format!(" ({unread} customer files could not be read; run `care check`)")
                } else {
                    String::new()
                };
                Err(Error::NotFound(format!("no customer matches {query:?}{also}"))
                    .with_hint("`care customer list` shows them all, `care customer add` adds one"))
            }
        }
    }

    /// The incident named by `query`: its id, a unique prefix of it, or of its random part.
    pub fn find_incident(&self, query: &str) -> Result<(PathBuf, Incident)> {
        let query = query.trim().to_ascii_lowercase();
        id::check_incident_id(&query).map_err(Error::Usage)?;
        if query.len() > 9 {
            let direct = self.incident_path(&query);
            if direct.is_file() {
                return Ok((direct.clone(), self.read(&direct)?));
            }
        }
        let (files, _) = self.record_files(INCIDENTS);
        let found: Vec<PathBuf> = files
            .into_iter()
            .filter(|p| {
                let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                stem.starts_with(&query) || stem.split_once('-').is_some_and(|(_, random)| random.starts_with(&query))
            })
            .collect();
        match found.as_slice() {
            [one] => Ok((one.clone(), self.read(one)?)),
            [] => {
                Err(Error::NotFound(format!("no incident matches {query:?}"))
                    .with_hint("`care recover list` shows them"))
            }
            many => Err(Error::Ambiguous {
                what: "incident",
                input: query,
                candidates: many
                    .iter()
                    .map(|p| p.file_stem().unwrap_or_default().to_string_lossy().into_owned())
                    .collect(),
            }),
        }
    }

    /// The customer with exactly this id, if there is one (no name matching, no full load
    /// unless the file is not where new records go).
    pub fn customer_by_id(&self, id: &str) -> Result<Option<Customer>> {
        match self.customer_file(id) {
            Some(path) => self.read(&path).map(Some),
            None => Ok(None),
        }
    }

    /// The incidents a customer's record links to (every `recover open` adds a misstep and
    /// a flag naming its incident), read by id without walking the book.
    pub fn linked_incidents(&self, customer: &Customer) -> (Vec<Incident>, Vec<Error>) {
        let mut ids: Vec<&str> = crate::model::Section::ALL
            .iter()
            .flat_map(|&s| customer.entries(s))
            .filter_map(|e| e.incident.as_deref())
            .chain(customer.flags.iter().filter_map(|f| f.incident.as_deref()))
            .collect();
        // An opening whose second write has not happened yet is still this customer's.
        let pending = self.pending_incidents_of(&customer.id);
        ids.extend(pending.iter().map(String::as_str));
        ids.sort_unstable();
        ids.dedup();
        let (mut found, mut problems) = (Vec::new(), Vec::new());
        for id in ids {
            let path = self.incident_path(id);
            if id::check_incident_id(id).is_err() || !path.is_file() {
                continue;
            }
            match self.read::<Incident>(&path) {
                Ok(i) => found.push(i),
                Err(e) => problems.push(e),
            }
        }
        (found, problems)
    }
}
