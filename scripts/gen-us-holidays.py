#!/usr/bin/env python3
"""Writes data/holidays/us-federal-holidays.csv: US federal holidays
(5 U.S.C. 6103) on their OBSERVED dates for federal employees.

A holiday on a Saturday is observed on the Friday before, one on a Sunday
on the Monday after (Executive Order 11582).  Juneteenth counts from 2021.
Inauguration Day is left out: it is a holiday only in the Washington area.

Usage: scripts/gen-us-holidays.py [FIRST LAST] > data/holidays/us-federal-holidays.csv
"""
import datetime
import sys

MON, THU, SAT, SUN = 0, 3, 5, 6


def nth_weekday(year, month, weekday, n):
    """The n-th given weekday of the month; n = -1 is the last one."""
    if n > 0:
        d = datetime.date(year, month, 1)
        d += datetime.timedelta(days=(weekday - d.weekday()) % 7)
        return d + datetime.timedelta(weeks=n - 1)
    nxt = datetime.date(year + month // 12, month % 12 + 1, 1)
    d = nxt - datetime.timedelta(days=1)
    return d - datetime.timedelta(days=(d.weekday() - weekday) % 7)


def fixed(year, month, day, name):
    d = datetime.date(year, month, day)
    if d.weekday() == SAT:
        return d - datetime.timedelta(days=1), name + " (observed)"
    if d.weekday() == SUN:
        return d + datetime.timedelta(days=1), name + " (observed)"
    return d, name


def holidays(year):
    out = [
        fixed(year, 1, 1, "New Year's Day"),
        (nth_weekday(year, 1, MON, 3), "Birthday of Martin Luther King, Jr."),
        (nth_weekday(year, 2, MON, 3), "Washington's Birthday"),
        (nth_weekday(year, 5, MON, -1), "Memorial Day"),
    ]
    if year >= 2021:
        out.append(fixed(year, 6, 19, "Juneteenth National Independence Day"))
    out += [
        fixed(year, 7, 4, "Independence Day"),
        (nth_weekday(year, 9, MON, 1), "Labor Day"),
        (nth_weekday(year, 10, MON, 2), "Columbus Day"),
        fixed(year, 11, 11, "Veterans Day"),
        (nth_weekday(year, 11, THU, 4), "Thanksgiving Day"),
        fixed(year, 12, 25, "Christmas Day"),
    ]
    return out


def main():
    first, last = (int(a) for a in sys.argv[1:3]) if len(sys.argv) == 3 else (2015, 2030)
    rows = []
    # The next year's New Year's Day may be observed on 31 December.
    for year in range(first, last + 2):
        rows += [r for r in holidays(year) if first <= r[0].year <= last]
    print("date,region,name")
    for d, name in sorted(rows):
        print("%s,us-federal,%s" % (d.isoformat(), '"%s"' % name if "," in name else name))


if __name__ == "__main__":
    main()
