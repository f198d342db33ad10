"""The one DynamoDB table and the small stores that share it, one per concern.

Keys (partition key `pk`, sort key `sk`), the only place they are written down (table.py alone builds and reads
them; tests/test_table_keys.py holds the stream's filter and the policies to it):

    pk = APP#<application id>   sk = APPLICATION       the application: status, history, tallies, votes, and
                                                       `recorded`, the workflow steps its tasks wrote
                                                       (applications.py; erasure.py blanks it)
    pk = APP#<application id>   sk = VOTE#<n>          organiser n's vote; written once, with the tally
                                                       (votes.py)
    pk = APP#<application id>   sk = WAIT              the callback the workflow waits on (its task
                                                       token, which never leaves the server) (callbacks.py)
    pk = APP#<application id>   sk = ANSWER            the speaker's attendance answer; written once
                                                       (callbacks.py)
    pk = APP#<application id>   sk = EMAIL#<kind>#<round>#<hash>
                                                       an email sent, so a retried task never repeats it
                                                       (emails.py)
    pk = CALL#<call id>         sk = CALL              `call`: the call's settings (JSON) as they were when
                                                       its latest application arrived, so that a call
                                                       whose file was removed runs on, closed; it lasts
                                                       as long as that application (calls.py)
    pk = CALL#<call id>         sk = SLOTS             the call's slot counter `taken`, and `offers`: the
                                                       ids of applications whose freed slot, still
                                                       counted as taken, is offered to the head of the
                                                       waitlist; only the workflow changes them,
                                                       conditionally (infra/workflow.py; slots.py reads)
    pk = WAITLIST#<call id>     sk = <since>#<application id>
                                                       a waitlisted application's place in the queue
                                                       (slots.py): a partition apart from the call's, which
                                                       the worker, who writes it, may not touch (IAM holds a
                                                       role to partitions, never to sort keys). Earlier
                                                       versions wrote CALL#<call id>, WAITLIST#<since>#<id>:
                                                       read, never removed
    pk = RATE#<scope>#<hash>#<window end>  sk = RATE   submissions counted for rate limiting; the
                                                       TTL attribute `expires_at` removes it (rates.py)
    pk = REVOKED#<organiser hash>  sk = LINKS         `revoked_at` (epoch seconds): that organiser's
                                                       overview and review links, of every call, signed
                                                       before it no longer work; the hash (SHA-256 of
                                                       the case-folded address) keeps the address out
                                                       of the key (revocations.py). One-call versions
                                                       wrote REVOKED#<call id>#<organiser hash>: those
                                                       of the default call are still read

Every item this version writes carries `expires_at`, which DynamoDB's TTL enforces: an application and each
item beside it (votes, wait, answer, email markers, its waitlist entry) the call's retention; the call's record
and SLOTS their latest application's (calls.py); a rate count its window; a revocation as long as the links it
refuses (revocations.py).

Each application names its call (`call_id`); what belongs to a call alone is under CALL#<call id>, and its
waitlist under WAITLIST#<call id>. The index `by_call` (call_id, submitted_at) lists a call's applications; only
APPLICATION items carry both attributes. The table's stream (NEW_IMAGE) starts one workflow per new APPLICATION.

boto3 and botocore are imported by the methods that talk to DynamoDB, not by these modules: the
handlers import their exceptions, and the form GET must not pay ~120 ms for boto3 (bench/cold_start.py).
"""
