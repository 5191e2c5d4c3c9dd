//! The activity chart: pulls and pushes per day over the last 30 days, drawn on the server
//! as an inline SVG (templates/partials/activity.html) with a table of the same numbers. Pure
//! layout here; the template paints bars by class, so colours come from the stylesheet's
//! theme variables.

use crate::core::images::ACTIVITY_DAYS;
use crate::store::activity::Day;

/// Width of the plot per day, in SVG units.
pub const SLOT: i64 = 20;
/// Width of one bar (a day has a pull bar, then a push bar).
pub const BAR: i64 = 7;
/// Height of the tallest bar.
pub const PLOT_HEIGHT: i64 = 120;
/// Left of the plot (room for the scale's numbers).
pub const LEFT: i64 = 40;
/// Top of the plot.
pub const TOP: i64 = 10;

/// One bar's rectangle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub height: i64,
}

/// One day of the chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartDay {
    /// `2026-07-01`.
    pub date: String,
    pub pulls: i64,
    pub pushes: i64,
    pub pull_bar: Bar,
    pub push_bar: Bar,
}

/// A chart ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    pub days: Vec<ChartDay>,
    /// The largest count of any bar (the scale's top).
    pub max: i64,
    pub total_pulls: i64,
    pub total_pushes: i64,
    pub width: i64,
    pub height: i64,
    /// The plot's baseline (bars stand on it).
    pub baseline: i64,
    pub right: i64,
    /// Where the day labels are written.
    pub label_y: i64,
}

/// The `ACTIVITY_DAYS` days ending `today`, oldest first, each with its counts (zero for a
/// day without a row). Rows outside the window are left out.
pub fn window(today: i64, rows: &[Day]) -> Vec<Day> {
    let from = today - (ACTIVITY_DAYS - 1);
    (from..=today)
        .map(|day| {
            rows.iter().filter(|r| r.day == day).fold(
                Day {
                    day,
                    pulls: 0,
                    pushes: 0,
                },
                |sum, r| Day {
                    day,
                    pulls: sum.pulls + r.pulls,
                    pushes: sum.pushes + r.pushes,
                },
            )
        })
        .collect()
}

/// Height of a bar for `count` when `max` fills the plot: proportional, rounded, and at
/// least one unit for any count above zero (a day with one pull beside one with thousands
/// still shows).
pub fn bar_height(count: i64, max: i64, plot: i64) -> i64 {
    if count <= 0 || max <= 0 {
        return 0;
    }
    let count = count.min(max);
    let h = ((count as i128 * plot as i128 * 2 + max as i128) / (max as i128 * 2)) as i64;
    h.clamp(1, plot)
}

/// `2026-07-01` for a day number.
pub fn date(day: i64) -> String {
    chrono::DateTime::from_timestamp(day.saturating_mul(86_400), 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

impl Chart {
    /// The chart of the days ending `today`, from stored rows.
    pub fn build(today: i64, rows: &[Day]) -> Chart {
        let days = window(today, rows);
        let max = days
            .iter()
            .map(|d| d.pulls.max(d.pushes))
            .max()
            .unwrap_or(0);
        let baseline = TOP + PLOT_HEIGHT;
        let bar = |slot: i64, offset: i64, count: i64| {
            let height = bar_height(count, max, PLOT_HEIGHT);
            Bar {
                x: LEFT + slot * SLOT + offset,
                y: baseline - height,
                height,
            }
        };
        let days: Vec<ChartDay> = days
            .iter()
            .enumerate()
            .map(|(i, d)| ChartDay {
                date: date(d.day),
                pulls: d.pulls,
                pushes: d.pushes,
                pull_bar: bar(i as i64, 2, d.pulls),
                push_bar: bar(i as i64, 2 + BAR + 1, d.pushes),
            })
            .collect();
        let right = LEFT + ACTIVITY_DAYS * SLOT;
        Chart {
            total_pulls: days.iter().map(|d| d.pulls).sum(),
            total_pushes: days.iter().map(|d| d.pushes).sum(),
            days,
            max,
            width: right + 10,
            height: baseline + 24,
            baseline,
            right,
            label_y: baseline + 16,
        }
    }

    /// The first and last day's dates, for the axis.
    pub fn first_date(&self) -> &str {
        self.days.first().map_or("", |d| d.date.as_str())
    }

    pub fn last_date(&self) -> &str {
        self.days.last().map_or("", |d| d.date.as_str())
    }

    pub fn top(&self) -> i64 {
        TOP
    }

    pub fn left(&self) -> i64 {
        LEFT
    }

    pub fn bar_width(&self) -> i64 {
        BAR
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_count() {
        assert_eq!(bar_height(0, 10, 120), 0);
        assert_eq!(bar_height(10, 10, 120), 120);
        assert_eq!(bar_height(5, 10, 120), 60);
        assert_eq!(bar_height(1, 3, 120), 40);
        assert_eq!(bar_height(1, 7, 120), 17, "17.14 rounds down");
        assert_eq!(bar_height(1, 8, 120), 15);
        assert_eq!(bar_height(1, 1_000_000, 120), 1, "any pull shows");
        assert_eq!(bar_height(3, 0, 120), 0);
        assert_eq!(bar_height(-1, 5, 120), 0);
        assert_eq!(bar_height(i64::MAX, i64::MAX, 120), 120, "no overflow");
    }

    #[test]
    fn the_window_is_thirty_days_ending_today_with_zeros_filled() {
        let rows = [
            Day {
                day: 70,
                pulls: 4,
                pushes: 1,
            },
            Day {
                day: 99,
                pulls: 2,
                pushes: 0,
            },
            Day {
                day: 100,
                pulls: 1,
                pushes: 3,
            },
            Day {
                day: 101,
                pulls: 9,
                pushes: 9,
            },
        ];
        let w = window(100, &rows);
        assert_eq!(w.len(), 30);
        assert_eq!(w[0].day, 71, "day 70 is outside");
        assert!(w[..28].iter().all(|d| d.pulls == 0 && d.pushes == 0));
        assert_eq!(
            w[28],
            Day {
                day: 99,
                pulls: 2,
                pushes: 0
            }
        );
        assert_eq!(
            w[29],
            Day {
                day: 100,
                pulls: 1,
                pushes: 3
            }
        );
    }

    #[test]
    fn the_chart_places_bars_on_the_baseline() {
        let c = Chart::build(
            100,
            &[Day {
                day: 100,
                pulls: 4,
                pushes: 2,
            }],
        );
        assert_eq!((c.max, c.total_pulls, c.total_pushes), (4, 4, 2));
        let last = c.days.last().unwrap();
        assert_eq!(last.pull_bar.height, PLOT_HEIGHT);
        assert_eq!(last.push_bar.height, PLOT_HEIGHT / 2);
        assert_eq!(last.pull_bar.y + last.pull_bar.height, c.baseline);
        assert_eq!(last.push_bar.x, last.pull_bar.x + BAR + 1);
        assert!(last.push_bar.x + BAR <= c.right);
        assert_eq!(c.days[0].pull_bar.height, 0);
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(c.last_date(), "1970-04-11");
    }
}
