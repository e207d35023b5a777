#!/usr/bin/env python3
"""Plays the 155 councils of the demo: each reads the request it received
(its own mailbox on the sandbox, over IMAP) and answers the team the way
its script says, dated on the scenario's day.

The replies reach the team's mailbox by IMAP APPEND with that day as the
INTERNALDATE (the arrival time foid uses for deadlines): the sandbox's
mail servers run on the real clock, while the demo's weeks pass under
libfaketime.

usage: demo-councils.py ENVFILE PHASE          (bodies on standard input)
       demo-councils.py --expect OUTFILE.json  (what foid should conclude)
Bodies are lines of short_name, email, name, region, tags (tab-separated),
in short-name order.  PHASE is a day number of the scenario (see plan()).

The plan follows the 2016 round as the seeds published it: of 155 bodies
asked, 114 answered on time and 36 of those said they took part in the
leadership talks of their plan's footprint; every Greater Manchester
council answered on time except Wigan and Rochdale, and London's councils
were the most involved.

Every failure ends the script with one line on standard error, exit 1."""
import imaplib
import json
import sys
import time
from email import message_from_bytes
from email.utils import make_msgid

SENT = "2016-07-04"
# Days after sending when each phase's replies arrive (calendar days).
PHASES = {2: "2016-07-06 10:00", 3: "2016-07-07 11:00", 12: "2016-07-16 10:00",
          20: "2016-07-28 14:00", 26: "2016-08-02 15:00", 32: "2016-08-09 10:00",
          40: "2016-08-17 10:00", 50: "2016-09-07 10:00"}
ON_TIME, INVOLVED = 114, 36
GM_LATE = ("rochdale", "wigan")
WAIT = 60  # seconds a council waits for its copy of the request, at most

class Fail(Exception):
    pass

def script(i):
    """What council number i (0-based, in short-name order) does by
    default, as a list of (phase, kind).  Deterministic, with every kind
    of reply; plan() then shapes the figures."""
    if i % 31 == 7:
        return [(2, "bounce")]                       # 5 bodies
    if i % 17 == 3:
        return []                                    # never answer (9)
    if i % 13 == 5:
        return [(2, "auto_reply"), (40, "response")]  # late, after an OOO
    if i % 11 == 4:
        return [(2, "clarification"), (26, "response")]
    if i % 12 == 6:
        return [(20, "extension"), (40, "response")]
    if i % 19 == 9:
        return [(3, "acknowledgement"), (50, "response")]  # very late
    if i % 23 == 2:
        return [(12, "refusal")]
    if i % 14 == 10:
        return [(32, "response")]                    # a week late
    if i % 5 == 0:
        return [(3, "acknowledgement"), (26, "response")]
    if i % 9 == 1:
        return [(26, "response")]                    # on the due day
    return [(3, "acknowledgement"), (20, "response")] if i % 2 else [(12, "response")]

ONTIME_STEPS = [(3, "acknowledgement"), (20, "response")]
LATE_STEPS = [(32, "response")]

def plan(bodies):
    """{short_name: (steps, involved)} for bodies [(short, region, tags)]."""
    steps = {b[0]: script(i) for i, b in enumerate(bodies)}
    gm = {b[0] for b in bodies if "greater-manchester" in b[2].split(";")}
    for b in gm:
        if b in GM_LATE:
            steps[b] = LATE_STEPS
        elif expect(steps[b])[1] is not True:
            steps[b] = ONTIME_STEPS
    # Plain answers flip between on time and a week late until the total
    # is the published one; Greater Manchester stays as set above.
    plain = [b[0] for b in bodies if b[0] not in gm and
             steps[b[0]] in ([(12, "response")], ONTIME_STEPS, LATE_STEPS)]
    count = lambda: sum(expect(v)[1] is True for v in steps.values())
    for b in reversed(plain):
        if count() <= ON_TIME:
            break
        if expect(steps[b])[1] is True:
            steps[b] = LATE_STEPS
    for b in plain:
        if count() >= ON_TIME:
            break
        if expect(steps[b])[1] is False:
            steps[b] = ONTIME_STEPS
    if count() != ON_TIME:
        raise Fail(f"the plan has {count()} on time, not {ON_TIME}")
    # Involved: two London councils in three that answered on time, and
    # evenly spread among the others until the total is reached.
    answered = [b for b in bodies if expect(steps[b[0]]) == ("responded", True)]
    london = [b[0] for b in answered if b[1] == "London"]
    yes = {b for j, b in enumerate(london) if j % 3 != 2}
    rest = [b[0] for b in answered if b[1] != "London"]
    need = INVOLVED - len(yes)
    if need < 0 or need > len(rest):
        raise Fail("the plan cannot reach %d involved" % INVOLVED)
    yes |= {rest[k * len(rest) // need] for k in range(need)}
    return {b: (steps[b], b in yes) for b in steps}

TEXT = {
    "acknowledgement": "Dear {to},\n\nThank you for your request for information, "
        "which we received on 4 July 2016. We acknowledge receipt and will respond "
        "within 20 working days.\n\nOur ref: FOI/2016/{n:04d}\n\n{council}\n",
    "clarification": "Dear {to},\n\nBefore we can proceed with your request, could "
        "you please clarify which financial years you are interested in?\n\n{council}\n",
    "extension": "Dear {to},\n\nWe are considering the public interest test under "
        "section 43 and need to extend the time for response by a further 20 "
        "working days.\n\n{council}\n",
    "refusal": "Dear {to},\n\nWe estimate that complying with your request would "
        "exceed the appropriate limit under section 12 of the Act, so we are "
        "refusing it.\n\n{council}\n",
    "response": "Dear {to},\n\nPlease find our response below.\n\n1. The council "
        "received {n} complaints.\n2. {m} were upheld.\n3. {involved}\n\n"
        "Yours sincerely,\n{council}\n",
    "auto_reply": "I am out of the office until next week.\n",
}

# What the third answer of a response says, and how the team codes it.
SAID = {True: "The council took part in the leadership discussions of its "
              "sustainability and transformation plan footprint.",
        False: "The council did not take part in the leadership discussions."}

def imap(env, user):
    m = imaplib.IMAP4("127.0.0.1", int(env["SANDBOX_IMAP_PORT"]))
    m.login(user, env["SANDBOX_PASSWORD"])
    return m

def request_header(env, email, deadline):
    """The header of the request in email's mailbox.  The council's copy is
    delivered on its own, apart from the team's Bcc copy: wait for it.  A
    connection the loaded server drops is tried again, within the same
    bound."""
    why = "it has not received its request"
    while True:
        try:
            box = imap(env, email)
            try:
                typ, _ = box.select("INBOX", readonly=True)
                if typ == "OK":
                    typ, data = box.fetch("1", "(RFC822.HEADER)")
                    if typ == "OK" and data and isinstance(data[0], tuple):
                        return data[0][1]
            finally:
                box.logout()
        except (OSError, imaplib.IMAP4.abort) as e:
            why = f"the server dropped the connection ({e})"
        if time.monotonic() > deadline:
            raise Fail(f"{email}: {why}, after {WAIT} s")
        time.sleep(0.1)

# What foid should conclude about a body with these steps: status, on time.
def expect(steps):
    if not steps:
        return "awaiting", None
    if steps[0][1] == "bounce":
        return "bounced", None
    phase, kind = steps[-1]
    if kind == "refusal":
        return "refused", True
    # Due 08-03 (a clarification answered on 07-07: 08-08; an extension: 09-01).
    on_time = phase <= 26 or (phase == 40 and steps[0][1] == "extension")
    return "responded", on_time

def read_bodies():
    rows = [l.rstrip("\n").split("\t") for l in sys.stdin if l.strip()]
    if not rows or any(len(r) != 5 for r in rows):
        raise Fail("standard input must hold lines of short_name, email, name, region, tags")
    return rows

def write_expect(path, rows):
    p = plan([(r[0], r[3], r[4]) for r in rows])
    bodies = {}
    for short, email, name, region, tags in rows:
        status, on_time = expect(p[short][0])
        bodies[short] = {"status": status, "on_time": on_time,
                         "involved": "yes" if p[short][1] else "no" if status == "responded" else None,
                         "region": region, "tags": tags}
    out = {"asked": len(rows),
           "on_time": sum(b["on_time"] is True for b in bodies.values()),
           "involved": sum(b["involved"] == "yes" and b["on_time"] is True
                           for b in bodies.values()),
           "bodies": bodies}
    with open(path, "w") as f:
        json.dump(out, f, indent=1)

def play(env, phase, rows):
    p = plan([(r[0], r[3], r[4]) for r in rows])
    when = imaplib.Time2Internaldate(time.mktime(time.strptime(PHASES[phase], "%Y-%m-%d %H:%M")))
    deadline = time.monotonic() + WAIT
    replies = []
    for i, (short, email, name, region, tags) in enumerate(rows):
        steps, involved = p[short]
        for p_, kind in steps:
            if p_ != phase:
                continue
            header = request_header(env, email, deadline)
            req = message_from_bytes(header)
            if kind == "bounce":
                body = ("From: Mail Delivery System <MAILER-DAEMON@mx.{d}>\r\n"
                        "To: research@uni.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
                        "Message-ID: {mid}\r\nMIME-Version: 1.0\r\n"
                        "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
                        "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
                        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.{d}\r\n\r\n"
                        "Final-Recipient: rfc822; {e}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                        "Diagnostic-Code: smtp; 550 5.1.1 <{e}>: mailbox unavailable\r\n"
                        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n{h}\r\n--b--\r\n").format(
                            d=email.split("@")[1], e=email, mid=make_msgid(domain="mx.test"),
                            h=header.decode("utf-8", "replace").strip())
            else:
                if req["Subject"] is None or req["Message-ID"] is None:
                    raise Fail(f"{email}'s first message is not a request (no Subject or Message-ID)")
                text = TEXT[kind].format(to="Jane Researcher", council=name, n=10 + i, m=i % 7,
                                         involved=SAID[involved])
                extra = "Auto-Submitted: auto-replied\r\n" if kind == "auto_reply" else ""
                subject = ("Automatic reply: " if kind == "auto_reply" else "RE: ") + req["Subject"]
                body = ("From: {name} FOI <{e}>\r\nTo: research@uni.test\r\nSubject: {s}\r\n"
                        "Message-ID: {mid}\r\nIn-Reply-To: {irt}\r\nReferences: {irt}\r\n{x}"
                        "Content-Type: text/plain; charset=utf-8\r\n\r\n{t}").format(
                            name=name, e=email, s=subject.replace("\n", " "),
                            mid=make_msgid(domain=email.split("@")[1]), irt=req["Message-ID"],
                            x=extra, t=text.replace("\n", "\r\n"))
            replies.append((short, kind, body))
    # One connection for every reply, opened once every council has read
    # its request.
    team = imap(env, "research@uni.test")
    for short, kind, body in replies:
        typ, data = team.append("INBOX", None, when, body.encode("utf-8"))
        if typ != "OK":
            raise Fail(f"APPEND of {short}'s {kind} refused: {data}")
    team.logout()
    print(f"councils: {len(replies)} replies arrive on {PHASES[phase]}")

def main():
    try:
        if len(sys.argv) == 3 and sys.argv[1] == "--expect":
            write_expect(sys.argv[2], read_bodies())
            return 0
        if len(sys.argv) != 3 or not sys.argv[2].isdigit() or int(sys.argv[2]) not in PHASES:
            raise Fail("usage: demo-councils.py ENVFILE PHASE | --expect OUTFILE.json")
        env = dict(l.strip().split("=", 1) for l in open(sys.argv[1]) if "=" in l)
        for k in ("SANDBOX_IMAP_PORT", "SANDBOX_PASSWORD"):
            if k not in env:
                raise Fail(f"{sys.argv[1]} has no {k}")
        play(env, int(sys.argv[2]), read_bodies())
        return 0
    except (Fail, OSError, imaplib.IMAP4.error) as e:
        print(f"demo-councils: {e}", file=sys.stderr)
        return 1

sys.exit(main())
