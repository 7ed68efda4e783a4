"""`laocai-bot zalo-oa authorize`: an OA admin links the OA to the bot, once (and again
if Zalo ever refuses the stored refresh token).

It prints Zalo's permission link (PKCE), reads back the address the browser landed on
(or the bare code), exchanges the code and stores the pair, replacing what was there.
Running bot processes pick the new token up on their next send; no restart.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import aiohttp

from bot.zalo_oa.oauth import OAuthClient, consent
from bot.zalo_oa.tokens import CredentialsRejected, RefreshRefused, TokenStore

if TYPE_CHECKING:
    from bot.app import App


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    oa = sub.add_parser("zalo-oa", help="Zalo Official Account: link it to the bot")
    oa_sub = oa.add_subparsers(dest="zalo_oa_command", required=True)
    authorize = oa_sub.add_parser(
        "authorize", help="print Zalo's permission link for an OA admin, then store the "
                          "token the returned code gives")
    authorize.add_argument("--redirect-uri",
                           help="the callback registered in the Zalo app "
                                "(default: zalo_oa.redirect_uri)")


def _fail(message: str) -> int:
    print(f"zalo-oa authorize: {message}", file=sys.stderr)
    return 1


def read_answer(line: str, state: str) -> tuple[str, str | None] | str:
    """(code, oa_id) from the pasted callback address or a bare code; a str explains
    what is wrong with it."""
    line = line.strip().strip("\"'<>‹›«» ")
    if "?" not in line and "=" not in line:
        bare = re.fullmatch(r"[A-Za-z0-9._~-]{8,}", line)
        return (line, None) if bare else "no code in what was pasted"
    query = parse_qs(urlsplit(line).query or line.split("?", 1)[-1])
    if query.get("error") or query.get("error_reason"):
        reason = (query.get("error_description") or query.get("error_reason")
                  or query["error"])[0]
        return f"Zalo did not give a code ({reason}); the admin has to allow, then paste again"
    code = (query.get("code") or [""])[0]
    if not code:
        return "no code in the address; paste the whole address from the browser's bar"
    if (query.get("state") or [""])[0] != state:
        return "the address is from another authorisation (its state differs); start again"
    return code, (query.get("oa_id") or [None])[0]


async def authorize(app: App, args: argparse.Namespace) -> int:
    oa = app.config.zalo_oa
    redirect = args.redirect_uri or oa.redirect_uri
    if not (oa.app_id and oa.app_secret):
        return _fail("set zalo_oa.app_id and zalo_oa.app_secret (or ZALO_OA_APP_SECRET) first")
    if not redirect:
        return _fail("set zalo_oa.redirect_uri (the callback URL registered in the Zalo app)"
                     " or pass --redirect-uri")
    link = consent(oa.oauth_base_url, oa.app_id, redirect)
    print("1. An admin of the Official Account opens this link in a browser signed in to "
          "Zalo, and allows:\n")
    print(f"   {link.url}\n")
    print("2. The browser then goes to the callback address. The page itself may show an "
          "error; that does not matter. Copy the whole address from the browser's address "
          "bar and paste it here, within 10 minutes:")
    answer = read_answer(sys.stdin.readline(), link.state)
    if isinstance(answer, str):
        return _fail(answer)
    code, oa_id = answer
    if oa_id and oa.oa_id and oa_id != oa.oa_id:
        return _fail(f"this is OA {oa_id}, but zalo_oa.oa_id is {oa.oa_id}; authorise with "
                     "an admin of the configured OA, or correct zalo_oa.oa_id")
    client = OAuthClient(oa.oauth_base_url, oa.app_id, oa.app_secret)
    try:
        grant = await client.exchange(code, link.verifier)
    except RefreshRefused as exc:
        return _fail(f"{exc}. Codes work once and for 10 minutes: start again")
    except CredentialsRejected as exc:
        return _fail(f"{exc}. Check zalo_oa.app_id and ZALO_OA_APP_SECRET (the app's "
                     "secret on developers.zalo.me), then start again")
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return _fail(f"Zalo's OAuth server did not answer ({type(exc).__name__}); try again")
    await TokenStore(app.services, client.refresh, None).replace(grant)
    print(f"authorised OA {oa_id or oa.oa_id}: the token is stored; running bot processes "
          "start sending again within 10 minutes, without a restart")
    return 0
