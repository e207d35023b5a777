#!/usr/bin/env python3
"""Plays the 155 councils of the survey demo: each answers the team's
survey in its own style, dated on the scenario's day.

The replies reach the team's mailbox by IMAP APPEND with that day as the
INTERNALDATE (the arrival time foid uses): the sandbox's mail servers run
on the real clock, while the demo's weeks pass under libfaketime.

usage: demo-survey-councils.py --questions             (KEY, TYPE, CHOICES, UNIT, WORDING; - for none)
       demo-survey-councils.py ENVFILE PHASE           (bodies on standard input)
       demo-survey-councils.py --expect OUTFILE.json   (what foid should conclude)
Bodies are lines of short_name, email, reference (tab-separated), in
short-name order.  PHASE is 1 (first replies), 2 (answers to foid's
follow-up) or 3 (late replies, after the courtesy reminder).

Styles, by council number i (0-based) modulo 10: clean "1: yes" lines;
other numbering (Q1, Question 2 -, (3)); units ("14 working days"); number
words and comments ("Yes (see our website)", "fourteen"); answers typed
under the quoted questions; prose (read at low confidence, confirmed by
the team); question 2 skipped (answered after foid's follow-up); silence;
a reply after the courtesy reminder; clean lines again.

Every failure ends the script with one line on standard error, exit 1."""
import imaplib
import json
import sys
import time
from email.utils import make_msgid

QUESTIONS = [
    ("online", "choice", "yes|no|unclear", "-",
     "Does the council publish its waste collection calendar online?"),
    ("notice", "number", "-", "days",
     "How many working days' notice does the council give residents of a "
     "change to their collection day?"),
    ("assisted", "choice", "yes|no|unclear", "-",
     "Does the council offer an assisted collection service for residents "
     "who cannot move their bins?"),
]
PHASES = {1: ["2016-07-05 10:00", "2016-07-06 11:00", "2016-07-07 12:00", "2016-07-08 09:30"],
          2: ["2016-07-14 11:00"], 3: ["2016-07-27 14:00"]}
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
         "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
         "seventeen", "eighteen", "nineteen", "twenty"]
SILENT, SKIP, LATE, PROSE = 7, 6, 8, 5


class Fail(Exception):
    pass


def values(i):
    """What council i's answers are: online, notice, assisted."""
    return ("yes" if i % 3 else "no", 5 + (i * 7) % 16, "yes" if i % 4 == 0 else "no")


def quoted(n, wording, hint):
    words, lines, line = wording.split(), [], f"> {n}. "
    for w in words:
        if len(line) + len(w) > 72:
            lines.append(line.rstrip())
            line = ">    "
        line += w + " "
    lines.append(line.rstrip())
    lines.append(f">    {hint}")
    return "\r\n".join(lines)


def body(i, phase):
    """The text of council i's reply in phase, or None."""
    on, notice, assisted = values(i)
    style = i % 10
    if phase == 2:
        return f"2: {notice} days\r\n\r\nSorry for missing that one." if style == SKIP else None
    if phase == 3:
        return f"1: {on}\r\n2: {notice}\r\n3: {assisted}" if style == LATE else None
    if style in (SILENT, LATE):
        return None
    if style in (0, 9):
        return f"1: {on}\r\n2: {notice}\r\n3: {assisted}\r\n\r\nRegards,\r\nWaste Services"
    if style == 1:
        return (f"Hello,\r\n\r\nQ1 {on.title()}\r\nQuestion 2 - {notice}\r\n"
                f"(3) {assisted.title()}\r\n\r\nKind regards")
    if style == 2:
        return f"1. {on}\r\n2. {notice} working days\r\n3. {assisted}"
    if style == 3:
        c1 = " (see our website)" if on == "yes" else ", we plan to next year"
        return (f"1: {on.title()}{c1}\r\n2: {WORDS[notice]}\r\n"
                f"3: {assisted.title()}, reviewed each spring")
    if style == 4:
        hints = ["(yes/no/unclear)", "(a number of days)", "(yes/no/unclear)"]
        parts = ["On 4 Jul 2016, Jane Researcher wrote:"]
        for n, (q, v) in enumerate(zip(QUESTIONS, (on, notice, assisted)), 1):
            parts.append(quoted(n, q[4], hints[n - 1]))
            parts.append(f"{str(v).title()}\r\n")
        return "\r\n".join(parts)
    if style == PROSE:
        s1 = ("Yes, we publish the calendar online." if on == "yes"
              else "We do not publish the calendar online at the moment.")
        s3 = ("We offer assisted collections to residents who ask." if assisted == "yes"
              else "We do not offer assisted collections.")
        return (f"Dear Jane,\r\n\r\n{s1} We give residents {WORDS[notice]} working days' "
                f"notice of a change. {s3}\r\n\r\nBest wishes,\r\nSam")
    if style == SKIP:
        return f"1: {on}\r\n3: {assisted}"
    raise Fail(f"no style {style}")


def expect(bodies):
    """What foid should conclude at the end: statuses, answers, tallies."""
    want = {"bodies": {}, "tallies": {}}
    for i, (short, _, _) in enumerate(bodies):
        replied = i % 10 != SILENT
        on, notice, assisted = values(i)
        want["bodies"][short] = {
            "status": "responded" if replied else "awaiting",
            "answers": {"online": on, "notice": str(notice), "assisted": assisted}
            if replied else {"online": "", "notice": "", "assisted": ""},
            "mails": 1 + (i % 10 == SKIP) + 2 * (i % 10 == SILENT) + (i % 10 == LATE),
        }
    answered = [want["bodies"][s]["answers"] for s, _, _ in bodies
                if want["bodies"][s]["status"] == "responded"]
    for key in ("online", "assisted"):
        want["tallies"][key] = {v: sum(a[key] == v for a in answered)
                                for v in ("yes", "no", "unclear")}
    nums = sorted(int(a["notice"]) for a in answered)
    n = len(nums)
    median = nums[n // 2] if n % 2 else (nums[n // 2 - 1] + nums[n // 2]) / 2
    want["tallies"]["notice"] = {"median": median, "min": nums[0], "max": nums[-1]}
    want["replied"] = len(answered)
    return want


def reply(env, bodies, phase):
    m = imaplib.IMAP4("127.0.0.1", int(env["SANDBOX_IMAP_PORT"]))
    m.login("research@uni.test", env["SANDBOX_PASSWORD"])
    days = PHASES[phase]
    sent = 0
    for i, (short, email, ref) in enumerate(bodies):
        text = body(i, phase)
        if text is None:
            continue
        day = days[i % len(days)]
        raw = (f"From: {email}\r\nTo: research@uni.test\r\nSubject: Re: Survey {ref}: "
               f"Waste collection\r\nMessage-ID: {make_msgid(domain=email.split('@')[1])}\r\n"
               f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0100', time.strptime(day, '%Y-%m-%d %H:%M'))}\r\n"
               f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n")
        when = imaplib.Time2Internaldate(time.mktime(time.strptime(day, "%Y-%m-%d %H:%M")))
        typ, data = m.append("INBOX", None, when, raw.encode())
        if typ != "OK":
            raise Fail(f"APPEND of {short}'s reply refused: {data}")
        sent += 1
    m.logout()
    print(f"{sent} councils replied")


def main(argv):
    try:
        if argv[1:] == ["--questions"]:
            for q in QUESTIONS:
                print("\t".join(q))
            return 0
        bodies = [l.rstrip("\n").split("\t") for l in sys.stdin if l.strip()]
        if len(argv) == 3 and argv[1] == "--expect":
            json.dump(expect(bodies), open(argv[2], "w"), indent=1)
            return 0
        if len(argv) != 3:
            raise Fail(__doc__.split("\n\n")[2])
        env = dict(l.rstrip("\n").split("=", 1) for l in open(argv[1]) if "=" in l)
        reply(env, bodies, int(argv[2]))
        return 0
    except (Fail, OSError, ValueError, KeyError, imaplib.IMAP4.error) as e:
        print(f"demo-survey-councils: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
