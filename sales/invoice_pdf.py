"""A tax invoice as an A4 PDF, drawn with reportlab's platypus from the same InvoiceDocument the
HTML invoice page shows (sales.selectors.invoice_document).

Pure Python: nothing to install system-wide. The built-in Helvetica covers Latin-1 and the
Windows-1252 punctuation, which is what names and addresses in the shop's books use.
"""

from io import BytesIO
from xml.sax.saxutils import escape

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from sales.selectors import DOCUMENT_DATETIME_FORMAT, InvoiceDocument

MARGIN = 15 * mm
FRAME_WIDTH = A4[0] - 2 * MARGIN


def money(value) -> str:
    return f"{value:,.2f}"


def _text(value) -> str:
    """Plain text made safe for a Paragraph, which reads a small XML-like markup."""
    return escape(str(value or "—"))


def _styles() -> dict:
    sheet = getSampleStyleSheet()
    body = ParagraphStyle("InvoiceBody", parent=sheet["BodyText"], fontSize=9.5, leading=12)
    return {
        "shop": ParagraphStyle("InvoiceShop", parent=sheet["Title"], alignment=0, fontSize=16),
        "title": ParagraphStyle("InvoiceTitle", parent=sheet["Heading2"], spaceBefore=0),
        "heading": ParagraphStyle("InvoiceHeading", parent=sheet["Heading4"], spaceAfter=2),
        "body": body,
        "right": ParagraphStyle("InvoiceRight", parent=body, alignment=TA_RIGHT),
        "voided": ParagraphStyle(
            "InvoiceVoided", parent=sheet["Heading1"], textColor=colors.red, alignment=0
        ),
    }


def _details(rows: list[tuple[str, str]], style, label_width: float, width: float) -> Table:
    """Label/value pairs as a two-column table."""
    table = Table(
        [
            [Paragraph(f"<b>{escape(label)}</b>", style), Paragraph(_text(value), style)]
            for label, value in rows
        ],
        colWidths=[label_width, width - label_width],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return table


def _lines_table(document: InvoiceDocument, styles: dict) -> Table:
    body, right = styles["body"], styles["right"]
    header = [
        Paragraph(f"<b>{escape(label)}</b>", style)
        for label, style in (
            (_("Item"), body),
            (_("Code"), body),
            (_("Qty"), right),
            (_("Unit price (KES)"), right),
            (_("Amount (KES)"), right),
        )
    ]
    rows = [header]
    for line in document.lines:
        rows.append(
            [
                Paragraph(_text(line.name), body),
                Paragraph(_text(line.code), body),
                Paragraph(escape(line.quantity_display), right),
                Paragraph(money(line.unit_price), right),
                Paragraph(money(line.line_total), right),
            ]
        )
    rows.append(
        [
            Paragraph(f"<b>{escape(_('Total'))}</b>", body),
            "",
            "",
            "",
            Paragraph(f"<b>{money(document.total)}</b>", right),
        ]
    )
    table = Table(
        rows,
        colWidths=[FRAME_WIDTH - 114 * mm, 32 * mm, 18 * mm, 32 * mm, 32 * mm],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -2), 0.25, colors.grey),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("SPAN", (0, -1), (3, -1)),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ]
        )
    )
    return table


def invoice_pdf(document: InvoiceDocument) -> bytes:
    """The invoice as PDF bytes.

    Page streams are left uncompressed: a one-page invoice stays small, and its text can be
    searched in the file (the tests read the invoice number and customer name from it).
    """
    styles = _styles()
    body = styles["body"]
    buffer = BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=_("Tax invoice No. %(number)s") % {"number": document.display_number},
        author=document.shop_name,
        creator=document.shop_name,
        pageCompression=0,
    )

    shop_rows = [
        (_("Address"), document.shop_address),
        (_("Phone"), document.shop_phone),
    ]
    if document.shop_email:
        shop_rows.append((_("Email"), document.shop_email))
    shop_rows.append((_("KRA PIN"), document.shop_tax_pin))

    invoice_rows = [
        (_("Invoice No."), document.display_number),
        (_("Issue date"), date_format(document.issued_at, DOCUMENT_DATETIME_FORMAT)),
        (_("Sale No."), str(document.sale_pk)),
        (_("Sale date"), date_format(document.sold_at, DOCUMENT_DATETIME_FORMAT)),
        (_("Payment"), document.payment_method),
    ]
    if document.mpesa_code:
        invoice_rows.append((_("M-Pesa code"), document.mpesa_code))

    customer_rows = [
        (_("Name"), document.customer_name),
        (_("Phone"), document.customer_phone),
        (_("Village"), document.customer_village),
        (_("Address"), document.customer_address),
        (_("Tax PIN"), document.customer_tax_pin),
    ]

    story = [Paragraph(_text(document.shop_name), styles["shop"])]
    story.append(_details(shop_rows, body, 22 * mm, FRAME_WIDTH))
    story.append(Spacer(1, 6 * mm))
    title = _("Tax invoice No. %(number)s") % {"number": document.display_number}
    story.append(Paragraph(escape(title), styles["title"]))
    if document.is_voided:
        story.append(Paragraph(escape(_("VOIDED")), styles["voided"]))
        if document.voided_at:
            voided = _("This sale was voided on %(date)s.") % {
                "date": date_format(document.voided_at, DOCUMENT_DATETIME_FORMAT)
            }
            story.append(Paragraph(escape(voided), body))
    half = FRAME_WIDTH / 2
    columns = Table(
        [
            [
                Paragraph(escape(_("Bill to")), styles["heading"]),
                Paragraph(escape(_("Invoice")), styles["heading"]),
            ],
            [
                _details(customer_rows, body, 20 * mm, half - 4 * mm),
                _details(invoice_rows, body, 26 * mm, half),
            ],
        ],
        colWidths=[half, half],
        hAlign="LEFT",
    )
    columns.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story.append(columns)
    story.append(Spacer(1, 6 * mm))
    story.append(_lines_table(document, styles))

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(
            MARGIN,
            MARGIN / 2,
            f"{document.shop_name} · {_('KRA PIN')} {document.shop_tax_pin or '—'}",
        )
        canvas.drawRightString(
            A4[0] - MARGIN,
            MARGIN / 2,
            _("%(number)s · page %(page)d") % {"number": document.display_number, "page": doc.page},
        )
        canvas.restoreState()

    pdf.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
