"""`packet` and `email`: one family's packet, saved or sent."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from ..problems import UsageError
from ..project import Project
from .options import date, packet_options
from .report import print_problems


def add_packet(commands) -> None:
    packet_cmd = commands.add_parser("packet", help="one PDF for a patient or family: a cover "
                                     "with their name, then the handouts")
    packet_options(packet_cmd)
    packet_cmd.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                            help="where to save it (default: packet-DATE.pdf here); never "
                                 "the shared output folder")
    packet_cmd.set_defaults(command=run_packet)


def run_packet(args, stdout: TextIO, stderr: TextIO) -> int:
    from ..deliver.packet import (
        SaveError,
        build_packet,
        check_target,
        default_file_name,
        write_packet,
    )
    from ..problems import ContentError

    project = Project(sources=args.sources, out=args.out, brand=args.brand)
    request = packet_request(args)
    target = args.output or Path(default_file_name(request.person))
    try:
        check_target(target, project)  # before rendering: a wrong -o costs no wait
        packet = build_packet(project, request)
        write_packet(packet.data, target, project)
    except ContentError as exc:
        print_problems(exc.problems, stderr)
        return 1
    except SaveError as exc:
        print(f"error: {exc}", file=stderr)
        return 1
    print_problems([*packet.problems, *drafts_said(packet.included)], stderr)
    print(f"Packet saved to {target} ({packet.pages} pages, {len(packet.contents)} "
          f"document{'s' if len(packet.contents) != 1 else ''})", file=stdout)
    return 0


def add_email(commands) -> None:
    email_cmd = commands.add_parser("email", help="email a packet (or the handouts) to a family, "
                                    "with their recorded consent")
    packet_options(email_cmd)
    email_cmd.add_argument("--to", required=True, metavar="ADDR",
                           help="the recipient's email address")
    email_cmd.add_argument("--consent-on", type=date, default=None, metavar="YYYY-MM-DD",
                           help="the date the patient's written consent to share with this "
                                "recipient was recorded; nothing is sent without it")
    email_cmd.add_argument("--separate", action="store_true",
                           help="attach each handout on its own, without a cover")
    email_cmd.add_argument("--dry-run", type=Path, default=None, metavar="DIR",
                           help="write the message to a .eml file in DIR instead of sending it")
    # Read by run_email, not argparse: a bad size is one line, as every other problem is.
    email_cmd.add_argument("--max-size", default="10", metavar="MB",
                           help="the largest the attachments may be (default: 10 MB)")
    email_cmd.set_defaults(command=run_email)


def run_email(args, stdout: TextIO, stderr: TextIO) -> int:
    from ..deliver.mail import DeliveryError, size_limit
    from ..problems import ContentError

    check_consent(args.consent_on)
    limit = size_limit(args.max_size)
    if args.dry_run and args.dry_run.exists() and not args.dry_run.is_dir():
        raise UsageError(f"--dry-run {args.dry_run} is not a folder: give the folder to write the "
                         "message file in")
    project = Project(sources=args.sources, out=args.out, brand=args.brand)
    try:
        email_packet(args, project, limit, stdout, stderr)
    except ContentError as exc:
        print_problems(exc.problems, stderr)
        return 1
    except DeliveryError as exc:
        print(f"error: {exc}", file=stderr)
        return 1
    return 0


def check_consent(consent_on) -> None:
    import datetime as dt

    if consent_on is None:
        raise UsageError("nothing is sent without --consent-on YYYY-MM-DD: the date the "
                         "patient's written consent to share with this recipient was recorded")
    if consent_on > dt.date.today():
        raise UsageError("--consent-on is in the future: give the date the consent was recorded")


def email_packet(args, project: Project, limit: int, stdout: TextIO, stderr: TextIO) -> None:
    """Make the packet (or the handouts) and send it, or write it to a .eml file when
    there is nowhere to send it."""
    import os

    from ..content.brand import load_brand
    from ..deliver.mail import (
        SmtpSettings,
        check_address,
        check_approved,
        check_callable,
        check_size,
        compose,
        write_eml,
    )
    from ..deliver.packet import check_person
    from ..deliver.smtp import Delivery, send
    from ..render.layout import email_text

    request = packet_request(args)
    check_person(request.person)
    address = check_address(args.to)
    settings = None if args.dry_run else SmtpSettings.from_environment(os.environ)
    folder = args.dry_run or Path.cwd()  # where the .eml goes if nothing is sent
    if settings is None:
        check_eml_folder(folder, project, bool(args.dry_run))
    brand = load_brand(project.brand)
    check_callable(brand, request.lang)  # before the wait for rendering
    included, attachments, problems = attachments_for(project, request, args.separate)
    check_approved(brand, included)
    check_size(attachments, limit)
    words = email_text(brand, project.layouts, request.lang, len(attachments))
    message = compose(address, settings.sender if settings else "handouts@localhost",
                      words.subject, words.text, words.html, attachments)
    print_problems(problems, stderr)
    size = sum(len(a.data) for a in attachments) / 1024
    what = f"{len(attachments)} attachment{'s' if len(attachments) != 1 else ''}, {size:.0f} KB"
    if settings is None:
        path = write_eml(message, folder)
        reason = "dry run" if args.dry_run else "no SMTP settings"
        print(f"Message written to {path} ({what}); {reason}: nothing was sent", file=stdout)
    else:
        delivery = Delivery(included, request.lang)
        send(message, settings, delivery)
        print(f"Sent one message ({what}); delivery {delivery.id}", file=stdout)


def check_eml_folder(folder: Path, project: Project, dry_run: bool) -> None:
    """As for a packet: a family's address and handouts never go in the shared folder."""
    if not folder.resolve().is_relative_to(project.out.resolve()):
        return
    if dry_run:
        raise UsageError("a message holds personal details: write it outside the shared "
                         f"output folder ({project.out})")
    raise UsageError("no SMTP settings, so the message would be written here, in the "
                     f"shared output folder ({project.out}): run this from another "
                     "folder, or give --dry-run DIR")


def attachments_for(project: Project, request, separate: bool):
    """(the documents included, the attachments, the problems to print): one packet,
    or each handout on its own, without a cover."""
    from ..deliver.mail import Attachment
    from ..deliver.packet import build_documents, build_packet

    if separate:
        documents = build_documents(project, request)
        attachments = [Attachment(f"handout-{n}.pdf", data)
                       for n, (_, data) in enumerate(documents, start=1)]
        return tuple(document for document, _ in documents), attachments, []
    packet = build_packet(project, request)
    return packet.included, [Attachment("handouts.pdf", packet.data)], list(packet.problems)


def packet_request(args):
    import datetime as dt

    from ..deliver.packet import PacketRequest, Personalisation

    person = Personalisation(for_name=args.for_name, clinician=args.clinician,
                             date=args.date or dt.date.today(), note=args.note)
    return PacketRequest(slugs=tuple(args.slugs), person=person, lang=args.lang,
                         large_print=args.large_print)


def drafts_said(included) -> list:
    """A packet may hold drafts (they print with the watermark); it says which, since
    they cannot be emailed."""
    from ..problems import warning

    return [warning(d.source, None, f"\u201c{d.title}\u201d is a draft: it prints with the "
                    "DRAFT mark, and is not emailed to a family until a clinician approves it")
            for d in included if d.draft]
