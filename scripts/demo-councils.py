#!/usr/bin/env python3
"""Plays the 155 councils of the demo: each reads the request it received
(its own mailbox on the sandbox, over IMAP) and answers the team the way
its script says, dated on the scenario's day.

The replies reach the team's mailbox by IMAP APPEND with that day as the
INTERNALDATE (the arrival time foid uses for deadlines): the sandbox's
mail servers run on the real clock, while the demo's weeks pass under
libfaketime.

usage: demo-councils.py ENVFILE PHASE   (bodies on standard input)
       demo-councils.py --expect         (prints what foid should conclude)
PHASE is a day number of the scenario (see script() below)."""
import imaplib
import sys
import time
from email import message_from_bytes
from email.utils import make_msgid

SENT = "2016-07-04"
# Days after sending when each phase's replies arrive (calendar days).
PHASES = {2: "2016-07-06 10:00", 3: "2016-07-07 11:00", 12: "2016-07-16 10:00",
          20: "2016-07-28 14:00", 26: "2016-08-02 15:00", 32: "2016-08-09 10:00",
          40: "2016-08-17 10:00", 50: "2016-09-07 10:00"}

def script(i):
    """What council number i (0-based, in short-name order) does, as a
    list of (phase, kind).  Deterministic, shaped like the 2016 round:
    about 114 of 155 answer on time."""
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
        "received {n} complaints.\n2. {m} were upheld.\n\nYours sincerely,\n{council}\n",
    "auto_reply": "I am out of the office until next week.\n",
}

def imap(env, user):
    m = imaplib.IMAP4("127.0.0.1", int(env["SANDBOX_IMAP_PORT"]))
    m.login(user, env["SANDBOX_PASSWORD"])
    return m

# What foid should conclude about a body with this script: status, on time.
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

def main():
    if sys.argv[1] == "--expect":
        for i, line in enumerate(l.strip() for l in sys.stdin if l.strip()):
            status, on_time = expect(script(i))
            print(line.split("\t")[0], status, "" if on_time is None else str(on_time).lower())
        return
    env = dict(l.strip().split("=", 1) for l in open(sys.argv[1]) if "=" in l)
    phase = int(sys.argv[2])
    bodies = [l.strip() for l in sys.stdin if l.strip()]
    team = imap(env, "research@uni.test")
    when = imaplib.Time2Internaldate(time.mktime(time.strptime(PHASES[phase], "%Y-%m-%d %H:%M"))
                                     + 3600 * 0)
    done = 0
    for i, line in enumerate(bodies):
        short, email, name = line.split("\t")
        for p, kind in script(i):
            if p != phase:
                continue
            box = imap(env, email)
            box.select("INBOX")
            _, data = box.fetch("1", "(RFC822.HEADER)")
            box.logout()
            req = message_from_bytes(data[0][1])
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
                            h=data[0][1].decode("utf-8", "replace").strip())
            else:
                text = TEXT[kind].format(to="Jane Researcher", council=name, n=10 + i, m=i % 7)
                extra = "Auto-Submitted: auto-replied\r\n" if kind == "auto_reply" else ""
                subject = ("Automatic reply: " if kind == "auto_reply" else "RE: ") + req["Subject"]
                body = ("From: {name} FOI <{e}>\r\nTo: research@uni.test\r\nSubject: {s}\r\n"
                        "Message-ID: {mid}\r\nIn-Reply-To: {irt}\r\nReferences: {irt}\r\n{x}"
                        "Content-Type: text/plain; charset=utf-8\r\n\r\n{t}").format(
                            name=name, e=email, s=subject.replace("\n", " "),
                            mid=make_msgid(domain=email.split("@")[1]), irt=req["Message-ID"],
                            x=extra, t=text.replace("\n", "\r\n"))
            team.append("INBOX", None, when, body.encode("utf-8"))
            done += 1
    team.logout()
    print(f"councils: {done} replies arrive on {PHASES[phase]}")

main()
