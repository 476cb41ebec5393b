"""Issue 5 "done means": the sending node is SIGKILLed 20 times while it delivers 500
messages to a slow peer. Afterwards every message was delivered (counted at the
peer by Message-ID), the queue is empty, and duplicates (a kill between the peer's
250 and the queue update) do not exceed the number of kills."""
import os
import random
import smtplib
import ssl
import sys
import time
import unittest

from outboundtest import Node, Peer

MESSAGES = int(os.environ.get("OUTBOUND_CRASH_MESSAGES", "500"))
KILLS = int(os.environ.get("OUTBOUND_CRASH_KILLS", "20"))


class OutboundCrashTest(unittest.TestCase):
    def test_sigkill_during_delivery_loses_nothing(self):
        # The peer is slow before the transaction ends, not after: it "commits" a
        # message when it sends the final 250, as a real MTA does.
        slow = Peer(delay=0.0)
        slow_reply_delay = 0.15

        def decide(kind, arg, n):
            if kind == "rcpt":
                time.sleep(slow_reply_delay)
            return "250 2.0.0 ok"

        slow.decide = decide
        node = Node("a.test", users=("alice",))
        config = ("retry_initial_seconds = 1\nretry_max_seconds = 2\npoll_interval_ms = 100\n"
                  "lease_seconds = 5\nmax_per_domain = 5\nnode_id = \"crash-node\"\n"
                  f'[outbound.routes]\n"b.test" = "{slow.address}"\n')
        kills = 0
        try:
            # Queue everything first (delivery off), so that every kill hits delivery.
            node.start("[outbound]\nenabled = false\n" + config)
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            with smtplib.SMTP("127.0.0.1", node.ports["submission"], timeout=60) as s:
                s.starttls(context=ctx)
                s.ehlo("laptop")
                s.login("alice@a.test", "alice-pw")
                for i in range(MESSAGES):
                    msg = (f"From: alice@a.test\r\nTo: bob@b.test\r\nSubject: crash {i}\r\n"
                           f"Message-ID: <crash-{i}@a.test>\r\n\r\nmessage {i}\r\n").encode()
                    s.sendmail("alice@a.test", ["bob@b.test"], msg)
            self.assertEqual(node.stop(), 0)
            node.start("[outbound]\nenabled = true\n" + config)
            rng = random.Random(5)
            started = time.monotonic()
            at_kill = []  # distinct messages at the peer when each kill happened
            while kills < KILLS:
                time.sleep(rng.uniform(0.7, 1.8))  # a restart takes ~1 s to its first delivery
                node.kill()
                kills += 1
                at_kill.append(len({self.message_id(d) for _, _, d in list(slow.delivered)}))
                node.start()
            print(f"\ndelivered at each kill: {at_kill}", file=sys.stderr)
            self.assertGreater(at_kill[-1], 0, "deliveries happened between the kills")
            self.assertLess(at_kill[KILLS // 2], MESSAGES, "most kills hit a node with mail to deliver")
            deadline = time.monotonic() + 240
            unique = set()
            while time.monotonic() < deadline:
                unique = {self.message_id(d) for _, _, d in slow.delivered}
                if len(unique) == MESSAGES and "queue is empty" in node.queue_list():
                    break
                time.sleep(0.5)
            elapsed = time.monotonic() - started
            total = len(slow.delivered)
            duplicates = total - len(unique)
            print(f"\noutbound crash: {MESSAGES} messages, {kills} SIGKILLs, {total} deliveries at the peer, "
                  f"{len(unique)} distinct, {duplicates} duplicates, {elapsed:.1f}s", file=sys.stderr)
            self.assertEqual(len(unique), MESSAGES, node.queue_list())
            self.assertIn("queue is empty", node.queue_list())
            self.assertLessEqual(duplicates, kills)
            node.stop_cleanly(self)
        finally:
            node.close()
            slow.close()

    @staticmethod
    def message_id(data):
        for line in data.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                return line.split(b":", 1)[1].strip()
        return data


if __name__ == "__main__":
    unittest.main()
