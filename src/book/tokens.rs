//! TEMPORARY stand-in until the helper's branch lands (not committed).
pub struct StaffToken { pub name: String, pub hash: String, pub created: String }
pub struct Tokens { pub tokens: Vec<StaffToken> }
pub fn load(root: &std::path::Path) -> crate::error::Result<Tokens> {
    let text = std::fs::read_to_string(root.join(".care/serve-tokens")).unwrap_or_default();
    Ok(Tokens { tokens: text.lines().filter_map(|l| { let mut p = l.split('\t'); Some(StaffToken { name: p.next()?.into(), hash: p.next()?.into(), created: p.next().unwrap_or("").into() }) }).collect() })
}
pub fn hash(secret: &str) -> String { secret.to_string() }
impl Tokens {
    pub fn by_secret(&self, secret: &str) -> Option<&StaffToken> { let h = hash(secret); self.tokens.iter().find(|t| t.hash == h) }
    pub fn holds(&self, hash: &str) -> bool { self.tokens.iter().any(|t| t.hash == hash) }
}
