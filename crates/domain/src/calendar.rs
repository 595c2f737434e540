//! The Chinese working-day calendar: which dates are working days under the State Council's
//! yearly holiday arrangements (国务院办公厅关于部分节假日安排的通知).
//!
//! The arrangements ship as data in `data/workdays.txt`, one section per year:
//!
//! ```text
//! # comment
//! [2026]
//! 休 2026-02-15..2026-02-23 春节     (rest days, both ends included, optional note)
//! 班 2026-02-14 春节调休上班          (a Saturday or Sunday that is a working day)
//! ```
//!
//! Dates not listed follow the week: Monday to Friday work, Saturday and Sunday rest. Entries
//! belong to their section's year, except that a New Year holiday may start in the previous
//! December (as the 2019 notice did). A year without a section is never guessed: every query
//! touching it fails with [`CalendarError::UnknownYear`].

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Whether a listed date is a rest day or a makeup working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DayKind {
    /// 休: a public holiday or a rest day moved by the arrangement.
    Rest,
    /// 班: a weekend day that is worked to make up for a moved rest day.
    Work,
}

/// The dates one year's notice lists, with the line each came from (to report duplicates).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct YearArrangement {
    days: BTreeMap<NaiveDate, (DayKind, usize)>,
}

/// Working days by the official holiday arrangements of the years it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    years: BTreeMap<i32, YearArrangement>,
}

/// Why a calendar could not be read or could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A line of calendar data is malformed; `line` counts from 1.
    #[error("工作日历第{line}行：{reason}")]
    Parse { line: usize, reason: String },
    /// The question reaches a year whose arrangements the calendar does not hold.
    #[error(
        "工作日历没有{year}年的节假日安排（已有：{}）；请在国务院办公厅公布当年安排后补充",
        list_years(.known)
    )]
    UnknownYear { year: i32, known: Vec<i32> },
}

/// Lists years as users read them: “2025、2026年”, or “无” when there are none.
fn list_years(years: &[i32]) -> String {
    if years.is_empty() {
        return "无".to_string();
    }
    let joined: Vec<String> = years.iter().map(i32::to_string).collect();
    format!("{}年", joined.join("、"))
}

/// The calendar shipped with the platform, parsed once.
static SHIPPED: LazyLock<WorkCalendar> = LazyLock::new(|| {
    match WorkCalendar::parse(include_str!("../data/workdays.txt")) {
        Ok(calendar) => calendar,
        // A unit test parses the same file, so this cannot happen in a tested build.
        Err(error) => panic!("the shipped data/workdays.txt is invalid: {error}"),
    }
});

impl WorkCalendar {
    /// The arrangements shipped in `data/workdays.txt`.
    ///
    /// # Panics
    ///
    /// If the shipped file does not parse, which is a bug caught by this module's tests.
    pub fn shipped() -> WorkCalendar {
        SHIPPED.clone()
    }

    /// Reads calendar data in the format described in the module documentation.
    ///
    /// Refuses, naming the line: unknown entry kinds, invalid dates, reversed ranges, dates
    /// outside their section's year, a date listed twice in one year, a 班 day that is not a
    /// Saturday or Sunday, entries before any `[year]` line and a year given twice.
    pub fn parse(text: &str) -> Result<WorkCalendar, CalendarError> {
        let mut calendar = WorkCalendar::default();
        let mut current: Option<i32> = None;
        for (index, raw) in text.trim_start_matches('\u{feff}').lines().enumerate() {
            let line = index + 1;
            let fail = |reason: String| CalendarError::Parse { line, reason };
            let content = raw.trim();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            if content.starts_with('[') {
                let year = parse_year(content).map_err(fail)?;
                if calendar.years.contains_key(&year) {
                    return Err(fail(format!("{year}年出现了两次")));
                }
                calendar.years.insert(year, YearArrangement::default());
                current = Some(year);
                continue;
            }
            let Some(year) = current else {
                return Err(fail("请先用“[年份]”开始一个年份，例如“[2026]”".to_string()));
            };
            let mut tokens = content.split_whitespace();
            let kind = match tokens.next() {
                Some("休") => DayKind::Rest,
                Some("班") => DayKind::Work,
                Some(other) => return Err(fail(format!("“{other}”不是“休”或“班”"))),
                None => continue,
            };
            let span = tokens
                .next()
                .ok_or_else(|| fail("缺少日期，例如“2026-10-01..2026-10-07”".to_string()))?;
            let (first, last) = parse_span(span).map_err(fail)?;
            let arrangement = calendar.years.entry(year).or_default();
            for date in first.iter_days().take_while(|date| *date <= last) {
                check_date(year, kind, date).map_err(fail)?;
                if let Some((_, earlier)) = arrangement.days.insert(date, (kind, line)) {
                    return Err(fail(format!("日期“{date}”已在第{earlier}行列出")));
                }
            }
        }
        Ok(calendar)
    }

    /// This calendar with the years of `other` added; a year in both is taken from `other`.
    ///
    /// Lets an operator add a newly published year from a file without a new release.
    pub fn merged(mut self, other: WorkCalendar) -> WorkCalendar {
        self.years.extend(other.years);
        self
    }

    /// The years whose arrangements the calendar holds, in ascending order.
    pub fn years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// Whether the calendar holds the arrangements of `year`.
    pub fn knows(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// Whether `date` is a working day: Monday to Friday unless a holiday (休), Saturday and
    /// Sunday only when a makeup working day (班).
    ///
    /// Fails with [`CalendarError::UnknownYear`] when the calendar does not hold `date`'s year.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        let year = date.year();
        let Some(arrangement) = self.years.get(&year) else {
            return Err(self.unknown_year(year));
        };
        // A later notice whose New Year holiday starts in this December takes precedence.
        let listed = year
            .checked_add(1)
            .and_then(|next| self.years.get(&next))
            .and_then(|next| next.days.get(&date))
            .or_else(|| arrangement.days.get(&date));
        Ok(match listed {
            Some((kind, _)) => *kind == DayKind::Work,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        })
    }

    /// The day on which a period of `n` working days starting after `start` ends.
    ///
    /// Convention (as in notices “公示期5个工作日”): `start` itself is never counted, whether or
    /// not it is a working day; counting begins with the first working day after it, and the
    /// result is the `n`-th working day, itself included in the period. A 公示 published on
    /// Thursday 2026-12-03 for 5 working days therefore ends on Thursday 2026-12-10. `n = 0`
    /// returns `start` without consulting the calendar.
    ///
    /// Fails with [`CalendarError::UnknownYear`] when the count reaches a year the calendar
    /// does not hold (the year of `start` itself need not be known).
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut day = start;
        let mut counted = 0;
        while counted < n {
            day = self.next_day(day)?;
            if self.is_working_day(day)? {
                counted += 1;
            }
        }
        Ok(day)
    }

    /// The number of working days after `from` up to and including `to`: what is left of a
    /// period ending on `to`, seen on `from`. Zero when `to` is not after `from`.
    ///
    /// Consistent with [`WorkCalendar::add_working_days`]: if `add_working_days(from, n)` is
    /// `end`, then `working_days_between(from, end)` is `n`. Fails with
    /// [`CalendarError::UnknownYear`] when the span reaches a year the calendar does not hold.
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u32, CalendarError> {
        let mut count = 0;
        let mut day = from;
        while day < to {
            day = self.next_day(day)?;
            if self.is_working_day(day)? {
                count += 1;
            }
        }
        Ok(count)
    }

    /// The day after `day`; chrono's last representable date is far beyond any known year.
    fn next_day(&self, day: NaiveDate) -> Result<NaiveDate, CalendarError> {
        day.checked_add_days(Days::new(1))
            .ok_or_else(|| self.unknown_year(day.year().saturating_add(1)))
    }

    fn unknown_year(&self, year: i32) -> CalendarError {
        CalendarError::UnknownYear {
            year,
            known: self.years(),
        }
    }
}

/// Reads the year of a `[2026]` line.
fn parse_year(line: &str) -> Result<i32, String> {
    line.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|year| year.trim().parse::<i32>().ok())
        .filter(|year| (1949..=9999).contains(year))
        .ok_or_else(|| format!("年份行“{line}”无效，应写作“[2026]”"))
}

/// Reads `2026-10-01` or `2026-10-01..2026-10-07` (both ends included).
fn parse_span(text: &str) -> Result<(NaiveDate, NaiveDate), String> {
    let (first, last) = match text.split_once("..") {
        Some((first, last)) => (parse_date(first)?, parse_date(last)?),
        None => {
            let date = parse_date(text)?;
            (date, date)
        }
    };
    if last < first {
        return Err(format!("日期区间“{text}”的结束早于开始"));
    }
    Ok((first, last))
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| format!("日期“{text}”无效"))
}

/// Refuses a date outside its section's year (bar a New Year holiday starting the previous
/// December) and a 班 day that is already a working day.
fn check_date(year: i32, kind: DayKind, date: NaiveDate) -> Result<(), String> {
    let previous_december = date.year() == year - 1 && date.month() == 12;
    if date.year() != year && !previous_december {
        return Err(format!("日期“{date}”不属于{year}年"));
    }
    if kind == DayKind::Work && !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
        return Err(format!(
            "日期“{date}”不是周六或周日，本来就上班，无需标为“班”"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn working(text: &str) -> bool {
        WorkCalendar::shipped().is_working_day(date(text)).unwrap()
    }

    fn add(start: &str, n: u32) -> Result<NaiveDate, CalendarError> {
        WorkCalendar::shipped().add_working_days(date(start), n)
    }

    #[test]
    fn the_shipped_file_parses_and_holds_2025_and_2026_only() {
        let calendar = WorkCalendar::parse(include_str!("../data/workdays.txt")).unwrap();
        assert_eq!(calendar, WorkCalendar::shipped());
        assert_eq!(calendar.years(), vec![2025, 2026]);
        assert!(calendar.knows(2025) && calendar.knows(2026));
        assert!(!calendar.knows(2027) && !calendar.knows(2024));
    }

    #[test]
    fn holidays_and_makeup_days_follow_the_notices() {
        assert!(working("2026-02-14"), "Saturday worked before 春节");
        assert!(!working("2026-02-16"), "Monday of 春节");
        assert!(!working("2026-02-23"), "last day of 春节, a Monday");
        assert!(working("2026-02-24"));
        assert!(working("2026-01-04"), "Sunday worked after 元旦");
        assert!(!working("2026-10-07"));
        assert!(working("2026-10-08"));
        assert!(working("2026-10-10"), "Saturday worked after 国庆");
        assert!(!working("2026-10-11"), "an ordinary Sunday");
        assert!(working("2026-12-31"), "an ordinary Thursday");
        assert!(!working("2025-10-08"), "国庆中秋 2025 lasts eight days");
        assert!(working("2025-10-11"));
        assert!(working("2025-04-27"));
        assert!(!working("2025-06-02"));
    }

    #[test]
    fn periods_of_working_days_skip_weekends_and_holidays() {
        assert_eq!(add("2026-12-03", 5), Ok(date("2026-12-10")));
        // 10-08 Thu, 10-09 Fri, 10-10 Sat (makeup), 10-12 Mon, 10-13 Tue.
        assert_eq!(add("2026-09-30", 5), Ok(date("2026-10-13")));
        // Published on a rest day: counting still starts with the next working day.
        assert_eq!(add("2026-02-15", 1), Ok(date("2026-02-24")));
        assert_eq!(add("2026-07-04", 0), Ok(date("2026-07-04")));
        assert_eq!(add("2027-07-04", 0), Ok(date("2027-07-04")));
        // Across the 2025/2026 boundary: 12-31, then the makeup Sunday 01-04 after 元旦.
        assert_eq!(add("2025-12-30", 2), Ok(date("2026-01-04")));
    }

    #[test]
    fn counting_down_matches_adding() {
        let calendar = WorkCalendar::shipped();
        let between = |from: &str, to: &str| calendar.working_days_between(date(from), date(to));
        assert_eq!(between("2026-09-30", "2026-10-13"), Ok(5));
        assert_eq!(between("2026-09-30", "2026-10-07"), Ok(0));
        assert_eq!(between("2026-09-30", "2026-09-30"), Ok(0));
        assert_eq!(between("2026-09-30", "2026-01-01"), Ok(0));
        for n in [1, 7, 40, 200, 400] {
            let end = calendar.add_working_days(date("2025-01-02"), n).unwrap();
            assert_eq!(
                calendar.working_days_between(date("2025-01-02"), end),
                Ok(n)
            );
        }
    }

    #[test]
    fn a_span_into_an_unpublished_year_is_an_error_not_a_guess() {
        let error = add("2026-12-28", 5).unwrap_err();
        assert!(matches!(
            error,
            CalendarError::UnknownYear { year: 2027, .. }
        ));
        assert_eq!(
            error.to_string(),
            "工作日历没有2027年的节假日安排（已有：2025、2026年）；请在国务院办公厅公布当年安排后补充"
        );
        let calendar = WorkCalendar::shipped();
        assert!(calendar.is_working_day(date("2024-12-31")).is_err());
        let countdown = calendar.working_days_between(date("2026-12-30"), date("2027-01-05"));
        assert!(matches!(
            countdown,
            Err(CalendarError::UnknownYear { year: 2027, .. })
        ));
        let empty = WorkCalendar::default().is_working_day(date("2026-01-05"));
        assert!(empty.unwrap_err().to_string().contains("（已有：无）"));
    }

    #[test]
    fn parse_errors_name_the_line() {
        let error = |text: &str| WorkCalendar::parse(text).unwrap_err().to_string();
        assert_eq!(
            error("# x\n[2026]\n休 2026-02-30 错误"),
            "工作日历第3行：日期“2026-02-30”无效"
        );
        assert_eq!(
            error("休 2026-01-01"),
            "工作日历第1行：请先用“[年份]”开始一个年份，例如“[2026]”"
        );
        assert!(error("[2026]\n\n放 2026-01-01").starts_with("工作日历第3行：“放”"));
        assert!(error("[2026]\n休").contains("缺少日期"));
        assert!(error("[2026]\n休 2026-01-03..2026-01-01").contains("结束早于开始"));
        assert!(error("[2026]\n休 2025-06-01").contains("不属于2026年"));
        assert!(error("[2026]\n班 2026-01-05").contains("不是周六或周日"));
        assert_eq!(
            error("[2026]\n休 2026-01-01..2026-01-03\n休 2026-01-03"),
            "工作日历第3行：日期“2026-01-03”已在第2行列出"
        );
        assert_eq!(error("[2026]\n[2026]"), "工作日历第2行：2026年出现了两次");
        assert!(error("[二〇二七]").contains("年份行“[二〇二七]”无效"));
        assert!(error("[2026").contains("年份行“[2026”无效"));
    }

    #[test]
    fn a_new_year_holiday_may_start_in_the_previous_december() {
        let text = "[2018]\n[2019]\n班 2018-12-29\n休 2018-12-30..2019-01-01 元旦";
        let calendar = WorkCalendar::parse(text).unwrap();
        assert_eq!(calendar.is_working_day(date("2018-12-29")), Ok(true));
        assert_eq!(calendar.is_working_day(date("2018-12-31")), Ok(false));
        assert_eq!(calendar.is_working_day(date("2019-01-02")), Ok(true));
    }

    #[test]
    fn merged_adds_a_year_and_replaces_a_year_given_again() {
        let operator = "[2027]\n休 2027-01-01 元旦\n[2026]\n休 2026-07-01 示例";
        let calendar = WorkCalendar::shipped().merged(WorkCalendar::parse(operator).unwrap());
        assert_eq!(calendar.years(), vec![2025, 2026, 2027]);
        assert_eq!(calendar.is_working_day(date("2027-01-01")), Ok(false));
        assert_eq!(calendar.is_working_day(date("2027-01-04")), Ok(true));
        // 2026 is now the operator's version: 07-01 rests, 春节 is no longer listed.
        assert_eq!(calendar.is_working_day(date("2026-07-01")), Ok(false));
        assert_eq!(calendar.is_working_day(date("2026-02-16")), Ok(true));
        assert_eq!(
            calendar.add_working_days(date("2026-12-28"), 5),
            Ok(date("2027-01-05"))
        );
    }
}
