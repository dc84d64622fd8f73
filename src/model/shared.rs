//! Which of a book's files travel between sites through git, and whose file a record path
//! is. `care sync` commits only these (records, `care.yaml`, the tombstone), never a
//! clone's own `.care/` or a stray file someone left in the folder, and settles a
//! conflict on a customer's file by asking the tombstone about that customer.

use super::forgotten;

/// Whether `path` (relative to the book's root, `/`-separated) is one of the book's
/// shared files.
pub fn synced(path: &str) -> bool {
    path == "care.yaml" || path == forgotten::FILE || is_record(path, "customers/") || is_record(path, "incidents/")
}

/// The customer whose record `path` is (`customers/ada-lovelace.yaml`, or in any
/// sub-folder of `customers/`): the file name is the id.
pub fn customer_of(path: &str) -> Option<&str> {
    if !is_record(path, "customers/") {
        return None;
    }
    let name = path.rsplit('/').next()?;
    name.strip_suffix(".yaml").or_else(|| name.strip_suffix(".yml"))
}

/// A record file under `folder`: YAML, and not one of care's hidden lock or temporary files.
fn is_record(path: &str, folder: &str) -> bool {
    let Some(rest) = path.strip_prefix(folder) else { return false };
    let name = rest.rsplit('/').next().unwrap_or(rest);
    !name.starts_with('.') && (name.ends_with(".yaml") || name.ends_with(".yml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_settings_and_the_tombstone_are_shared_and_nothing_else() {
        for path in
            ["care.yaml", "forgotten.yaml", "customers/ada.yaml", "customers/vip/ada.yml", "incidents/2026/11/x.yaml"]
        {
            assert!(synced(path), "{path}");
        }
        for path in
            [".care/notify-state", "customers/.ada.yaml.lock", "customers/notes.txt", "README.md", "x/care.yaml"]
        {
            assert!(!synced(path), "{path}");
        }
    }

    #[test]
    fn a_customer_file_names_its_customer() {
        assert_eq!(customer_of("customers/ada-lovelace.yaml"), Some("ada-lovelace"));
        assert_eq!(customer_of("customers/vip/ada.yml"), Some("ada"));
        assert_eq!(customer_of("incidents/2026/11/x.yaml"), None);
        assert_eq!(customer_of("customers/.ada.yaml.tmp"), None);
    }
}
