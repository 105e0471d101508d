//! How a time is written for people: in messages, reports and the CLI.

/// RFC 3339 in UTC, to the second.
pub fn fmt_time(t: ::time::OffsetDateTime) -> String {
    let f = ::time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.to_offset(::time::UtcOffset::UTC).format(&f).unwrap_or_else(|_| t.to_string())
}
