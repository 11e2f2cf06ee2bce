#!/usr/bin/python3
"""A real SMTP server for the e-mail alert tests (aiosmtpd, Debian's python3-aiosmtpd).

Listens on 127.0.0.1 at a free port and prints "listening <port>" on stdout (and writes the port to
--port-file when given) once it accepts connections. Each accepted message is stored in --maildir as
NNNN.json: {"mail_from", "rcpt_tos", "auth_user", "data"} (data = the message as received, text).
--refuse-first N refuses the first N messages with --code (451 temporary or 550 permanent) at
--refuse-at rcpt (every RCPT TO of the transaction) or data (after the message body).
--user/--password require AUTH (PLAIN or LOGIN, allowed without TLS for the test). SIGTERM or
SIGINT stops it cleanly (exit 0). Run it with /usr/bin/python3 (where python3-aiosmtpd lives).
"""
import argparse
import asyncio
import json
import os
import signal
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--maildir", required=True)
    p.add_argument("--port-file")
    p.add_argument("--refuse-first", type=int, default=0)
    p.add_argument("--code", type=int, choices=[421, 450, 451, 452, 550, 551, 552, 553, 554], default=451)
    p.add_argument("--refuse-at", choices=["rcpt", "data"], default="rcpt")
    p.add_argument("--user")
    p.add_argument("--password")
    return p.parse_args()


class Handler:
    def __init__(self, args):
        self.args = args
        self.refused = 0
        self.stored = 0

    def _reply(self):
        code = self.args.code
        if code < 500:
            return f"{code} 4.3.0 Mailbox temporarily unavailable, try again later"
        return f"{code} 5.7.1 Delivery not authorized, message refused"

    def _refuse_this(self, envelope):
        decided = getattr(envelope, "cairn_refuse", None)
        if decided is None:
            decided = self.refused < self.args.refuse_first
            if decided:
                self.refused += 1
            envelope.cairn_refuse = decided
        return decided

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.args.refuse_at == "rcpt" and self._refuse_this(envelope):
            return self._reply()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.args.refuse_at == "data" and self._refuse_this(envelope):
            return self._reply()
        self.stored += 1
        content = envelope.content
        if isinstance(content, bytes):
            content = content.decode("utf-8", errors="replace")
        auth = session.auth_data
        user = auth.login.decode("utf-8", errors="replace") if isinstance(auth, LoginPassword) else None
        record = {"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos), "auth_user": user, "data": content}
        path = os.path.join(self.args.maildir, f"{self.stored:04d}.json")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(path + ".tmp", path)
        return "250 Message accepted for delivery"


def make_authenticator(args):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == args.user.encode()
            and auth_data.password == args.password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    return authenticate


async def main():
    args = parse_args()
    os.makedirs(args.maildir, exist_ok=True)
    loop = asyncio.get_running_loop()
    handler = Handler(args)
    auth = {}
    if args.user is not None:
        auth = dict(authenticator=make_authenticator(args), auth_required=True, auth_require_tls=False)

    def factory():
        return SMTP(handler, hostname="cairn-test-smtp", loop=loop, **auth)

    server = await loop.create_server(factory, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.replace(args.port_file + ".tmp", args.port_file)
    print(f"listening {port}", flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
