"""Receipts (80 mm roll) and tax invoices (A4 page and PDF)."""

import html
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from core.models import NumberSequence
from core.sequences import INVOICE_SEQUENCE
from customers.services import customer_delete, customer_update
from sales.invoice_pdf import invoice_pdf
from sales.models import Invoice, PaymentMethod
from sales.selectors import invoice_document
from sales.services import invoice_issue, sale_complete, sale_void
from tests.factories import make_product, sell

pytestmark = pytest.mark.django_db

SHOP_KRA_PIN = "P051234567Q"


def by_testid(response, name: str) -> str:
    """The text of the element marked data-testid=`name` (one without nested tags)."""
    content = response.content.decode()
    match = re.search(rf'data-testid="{re.escape(name)}"[^>]*>([^<]*)<', content)
    assert match, f"no data-testid={name!r} on the page"
    return html.unescape(match.group(1)).strip()


def receipt_url(sale) -> str:
    return reverse("sales:sale_receipt", args=[sale.pk])


def issue_url(sale) -> str:
    return reverse("sales:invoice_issue", args=[sale.pk])


def invoice_url(invoice) -> str:
    return reverse("sales:invoice_detail", args=[invoice.pk])


def pdf_url(invoice) -> str:
    return reverse("sales:invoice_pdf", args=[invoice.pk])


def page_messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def sequence_value() -> int:
    return NumberSequence.objects.get(name=INVOICE_SEQUENCE).last_value


@pytest.fixture
def shop_settings(settings):
    settings.SHOP_NAME = "Mwingi Agrovet"
    settings.SHOP_ADDRESS = "Market Street, Mwingi"
    settings.SHOP_PHONE = "+254711222333"
    settings.SHOP_EMAIL = "duka@example.com"
    settings.SHOP_KRA_PIN = SHOP_KRA_PIN
    settings.RECEIPT_FOOTER = "Asante sana! Karibu tena."
    return settings


@pytest.fixture
def invoiced_sale(cashier, make_customer, shop_settings):
    customer = make_customer(
        name="Mutua Musyoka",
        village="Kyuso",
        address="P.O. Box 12, Mwingi",
        tax_pin="A051234567K",
    )
    sale = sell(cashier=cashier, customer=customer, total="2500", payment_method="cash")
    return invoice_issue(actor=cashier, sale=sale)


class TestPermissions:
    def urls(self, sale, invoice):
        return [receipt_url(sale), issue_url(sale), invoice_url(invoice), pdf_url(invoice)]

    def test_anonymous_is_sent_to_login(self, client, invoiced_sale):
        for url in self.urls(invoiced_sale.sale, invoiced_sale):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response.url.startswith(reverse("login")), url
        assert client.post(issue_url(invoiced_sale.sale)).status_code == 302

    def test_user_without_a_role_gets_403(self, client, no_role_user, invoiced_sale, cashier):
        other = sell(cashier=cashier, total="100", payment_method="cash")
        client.force_login(no_role_user)
        for url in self.urls(invoiced_sale.sale, invoiced_sale):
            assert client.get(url).status_code == 403, url
        assert client.post(issue_url(other)).status_code == 403
        assert not Invoice.objects.filter(sale=other).exists()

    @pytest.mark.parametrize("role", ["cashier", "manager"])
    def test_cashier_and_manager_may_see_and_issue(self, client, request, role, invoiced_sale):
        client.force_login(request.getfixturevalue(role))
        assert client.get(receipt_url(invoiced_sale.sale)).status_code == 200
        assert client.get(invoice_url(invoiced_sale)).status_code == 200
        assert client.get(pdf_url(invoiced_sale)).status_code == 200
        # The sale already has its invoice: the issue page opens it.
        response = client.get(issue_url(invoiced_sale.sale))
        assert response.status_code == 302 and response.url == invoice_url(invoiced_sale)

    def test_unknown_sale_or_invoice_is_404(self, client, cashier):
        client.force_login(cashier)
        assert client.get(reverse("sales:sale_receipt", args=[999999])).status_code == 404
        assert client.get(reverse("sales:invoice_issue", args=[999999])).status_code == 404
        assert client.post(reverse("sales:invoice_issue", args=[999999])).status_code == 404
        assert client.get(reverse("sales:invoice_detail", args=[999999])).status_code == 404
        assert client.get(reverse("sales:invoice_pdf", args=[999999])).status_code == 404


class TestReceipt:
    def test_cash_sale_shows_shop_lines_total_tendered_and_change(
        self, client, cashier, shop_settings
    ):
        cashier.first_name, cashier.last_name = "Faith", "Mwende"
        cashier.save()
        product = make_product(name="Maize seed 2 kg", retail_price="325")
        sale = sale_complete(
            cashier=cashier,
            customer=None,
            lines=[(product, Decimal("2"))],
            payment_method=PaymentMethod.CASH,
            cash_tendered=Decimal("1000"),
        )
        client.force_login(cashier)
        response = client.get(receipt_url(sale))
        assert response.status_code == 200
        content = response.content.decode()
        for text in (
            "Mwingi Agrovet",
            "Market Street, Mwingi",
            "+254711222333",
            SHOP_KRA_PIN,
            "Asante sana! Karibu tena.",
            "Faith Mwende",
            "Maize seed 2 kg",
            "2 × 325.00",
        ):
            assert text in content, text
        assert by_testid(response, "receipt-sale-number") == str(sale.pk)
        assert by_testid(response, "receipt-customer") == "Walk-in"
        assert by_testid(response, "receipt-total") == "650.00"
        assert by_testid(response, "receipt-tendered") == "1,000.00"
        assert by_testid(response, "receipt-change") == "350.00"
        assert 'data-testid="receipt-credit-amount"' not in content
        assert 'data-testid="receipt-voided"' not in content
        # A walk-in sale cannot be invoiced: no Invoice button.
        assert issue_url(sale) not in content

    def test_prints_on_an_80_mm_roll_with_a_script_file_not_inline(self, client, cashier):
        sale = sell(cashier=cashier, total="100", payment_method="cash")
        client.force_login(cashier)
        content = client.get(receipt_url(sale)).content.decode()
        assert "css/receipt.css" in content
        assert "js/print.js" in content and "data-print" in content
        assert "<script>" not in content
        assert reverse("sales:till") in content
        assert reverse("sales:sale_detail", args=[sale.pk]) in content

    def test_mpesa_sale_shows_the_code(self, client, cashier, make_customer):
        customer = make_customer(name="Kioko Mutiso")
        sale = sell(cashier=cashier, customer=customer, total="480", payment_method="mpesa")
        client.force_login(cashier)
        response = client.get(receipt_url(sale))
        assert by_testid(response, "receipt-mpesa-code") == sale.payment.mpesa_code
        assert by_testid(response, "receipt-customer") == "Kioko Mutiso"
        assert str(customer.phone) in response.content.decode()
        # A sale with a customer offers the invoice (a form posting to the issue view).
        assert f'action="{issue_url(sale)}"' in response.content.decode()

    def test_credit_sale_shows_the_amount_and_the_balance_after_it_in_nairobi_time(
        self, client, cashier, make_customer
    ):
        customer = make_customer(credit_limit=Decimal("5000"))
        first = sell(
            cashier=cashier,
            customer=customer,
            total="1200",
            payment_method="credit",
            # 21:30 UTC is 00:30 the next day in Nairobi (UTC+3).
            sold_at=datetime(2025, 3, 1, 21, 30, tzinfo=UTC),
        )
        second = sell(cashier=cashier, customer=customer, total="300.50", payment_method="credit")
        client.force_login(cashier)

        response = client.get(receipt_url(first))
        assert by_testid(response, "receipt-time") == "2 Mar 2025, 00:30"
        assert by_testid(response, "receipt-credit-amount") == "1,200.00"
        # The balance right after that sale, not what the customer owes today.
        assert by_testid(response, "receipt-balance-after") == "1,200.00"
        assert 'data-testid="receipt-change"' not in response.content.decode()

        response = client.get(receipt_url(second))
        assert by_testid(response, "receipt-credit-amount") == "300.50"
        assert by_testid(response, "receipt-balance-after") == "1,500.50"

    def test_fractional_quantities_print_without_trailing_zeros(self, client, cashier):
        product = make_product(name="DAP fertiliser (kg)", retail_price="90")
        sale = sale_complete(
            cashier=cashier,
            customer=None,
            lines=[(product, Decimal("2.5"))],
            payment_method=PaymentMethod.CASH,
            cash_tendered=Decimal("225"),
        )
        client.force_login(cashier)
        response = client.get(receipt_url(sale))
        assert "2.5 × 90.00" in response.content.decode()
        assert by_testid(response, "receipt-total") == "225.00"

    def test_voided_sale_says_voided_and_offers_no_invoice(
        self, client, cashier, manager, make_customer
    ):
        sale = sell(cashier=cashier, customer=make_customer(), total="100", payment_method="cash")
        sale_void(actor=manager, sale=sale, reason="Rang up the wrong item")
        client.force_login(cashier)
        response = client.get(receipt_url(sale))
        content = response.content.decode()
        assert by_testid(response, "receipt-voided") == "VOIDED"
        assert "Rang up the wrong item" in content
        assert issue_url(sale) not in content

    def test_invoiced_sale_links_to_its_invoice(self, client, cashier, invoiced_sale):
        client.force_login(cashier)
        content = client.get(receipt_url(invoiced_sale.sale)).content.decode()
        assert invoice_url(invoiced_sale) in content
        assert "INV-000001" in content
        assert f'action="{issue_url(invoiced_sale.sale)}"' not in content


class TestInvoiceIssue:
    def test_confirm_page_shows_the_details_to_be_printed(self, client, cashier, make_customer):
        customer = make_customer(name="Ndinda Kilonzo", tax_pin="A009876543B", village="Nguni")
        sale = sell(cashier=cashier, customer=customer, total="700", payment_method="cash")
        client.force_login(cashier)
        response = client.get(issue_url(sale))
        assert response.status_code == 200
        content = response.content.decode()
        assert "Ndinda Kilonzo" in content and "Nguni" in content
        assert by_testid(response, "confirm-tax-pin") == "A009876543B"
        assert "Issue invoice" in content
        assert not Invoice.objects.exists()  # looking does not issue

    def test_numbers_run_1_2_3_and_issuing_again_returns_the_same_invoice(
        self, client, cashier, make_customer
    ):
        client.force_login(cashier)
        sales = [
            sell(cashier=cashier, customer=make_customer(), total="100", payment_method="cash")
            for _ in range(3)
        ]
        for sale in sales:
            response = client.post(issue_url(sale))
            invoice = Invoice.objects.get(sale=sale)
            assert response.status_code == 302 and response.url == invoice_url(invoice)
        assert [Invoice.objects.get(sale=sale).number for sale in sales] == [1, 2, 3]

        again = client.post(issue_url(sales[0]))
        assert again.url == invoice_url(Invoice.objects.get(sale=sales[0]))
        assert invoice_issue(actor=cashier, sale=sales[1]).number == 2
        assert Invoice.objects.count() == 3
        assert sequence_value() == 3

    def test_refused_issues_do_not_use_up_a_number(self, client, cashier, manager, make_customer):
        client.force_login(cashier)
        walk_in = sell(cashier=cashier, total="100", payment_method="cash")
        voided = sell(cashier=cashier, customer=make_customer(), total="100", payment_method="cash")
        sale_void(actor=manager, sale=voided, reason="Customer changed their mind")

        for sale, message in (
            (walk_in, "this sale has no customer"),
            (voided, "A voided sale cannot be invoiced."),
        ):
            response = client.post(issue_url(sale))
            assert response.status_code == 302
            assert response.url == reverse("sales:sale_detail", args=[sale.pk])
            assert any(message in text for text in page_messages(response))
        assert not Invoice.objects.exists()
        assert sequence_value() == 0

        good = sell(cashier=cashier, customer=make_customer(), total="100", payment_method="cash")
        client.post(issue_url(good))
        assert Invoice.objects.get(sale=good).number == 1

    def test_confirm_page_for_a_sale_that_cannot_be_invoiced_has_no_button(self, client, cashier):
        walk_in = sell(cashier=cashier, total="100", payment_method="cash")
        client.force_login(cashier)
        response = client.get(issue_url(walk_in))
        assert response.status_code == 200
        assert "Issue invoice" not in response.content.decode()

    def test_an_issue_rolled_back_later_gives_its_number_back(self, cashier, make_customer):
        first = sell(cashier=cashier, customer=make_customer(), total="100", payment_method="cash")
        second = sell(cashier=cashier, customer=make_customer(), total="100", payment_method="cash")
        with pytest.raises(RuntimeError), transaction.atomic():
            assert invoice_issue(actor=cashier, sale=first).number == 1
            raise RuntimeError("printer on fire")
        assert not Invoice.objects.exists()
        assert invoice_issue(actor=cashier, sale=second).number == 1
        assert invoice_issue(actor=cashier, sale=first).number == 2

    def test_service_refuses_walk_in_and_voided_sales(self, cashier, manager, make_customer):
        walk_in = sell(cashier=cashier, total="100", payment_method="cash")
        with pytest.raises(ValidationError):
            invoice_issue(actor=cashier, sale=walk_in)
        assert sequence_value() == 0


class TestInvoicePage:
    def test_shows_number_customer_details_tax_pins_lines_and_total(
        self, client, cashier, invoiced_sale
    ):
        client.force_login(cashier)
        response = client.get(invoice_url(invoiced_sale))
        assert response.status_code == 200
        content = response.content.decode()
        assert "Tax invoice No." in content
        assert by_testid(response, "invoice-number") == "INV-000001"
        assert by_testid(response, "invoice-customer-name") == "Mutua Musyoka"
        assert by_testid(response, "invoice-customer-tax-pin") == "A051234567K"
        assert by_testid(response, "invoice-shop-kra-pin") == SHOP_KRA_PIN
        assert by_testid(response, "invoice-total") == "2,500.00"
        assert by_testid(response, "invoice-payment-method") == "Cash"
        for text in (
            "Kyuso",
            "P.O. Box 12, Mwingi",
            invoiced_sale.customer_phone,
            "Mwingi Agrovet",
            "Market Street, Mwingi",
            "+254711222333",
            invoiced_sale.sale.lines.get().product_name,
            "css/invoice.css",
            "js/print.js",
            "Download PDF",
            pdf_url(invoiced_sale),
        ):
            assert text in content, text
        assert 'data-testid="invoice-voided"' not in content

    def test_issue_date_is_in_nairobi_time(self, client, cashier, invoiced_sale):
        Invoice.objects.filter(pk=invoiced_sale.pk).update(
            issued_at=datetime(2025, 6, 30, 22, 15, tzinfo=UTC)
        )
        client.force_login(cashier)
        response = client.get(invoice_url(invoiced_sale))
        assert by_testid(response, "invoice-issued-at") == "1 Jul 2025, 01:15"

    def test_sale_voided_after_issue_shows_voided(self, client, cashier, manager, invoiced_sale):
        sale_void(actor=manager, sale=invoiced_sale.sale, reason="Returned")
        client.force_login(cashier)
        response = client.get(invoice_url(invoiced_sale))
        assert "VOIDED" in by_testid(response, "invoice-voided")
        assert b"VOIDED" in client.get(pdf_url(invoiced_sale)).content

    def test_customer_edited_after_issue_keeps_the_details_as_issued(
        self, client, cashier, manager, invoiced_sale
    ):
        customer = invoiced_sale.sale.customer
        customer_update(
            actor=manager,
            customer=customer,
            name="Someone Else",
            tax_pin="P099999999Z",
            village="Kitui",
        )
        client.force_login(cashier)
        response = client.get(invoice_url(invoiced_sale))
        assert by_testid(response, "invoice-customer-name") == "Mutua Musyoka"
        assert by_testid(response, "invoice-customer-tax-pin") == "A051234567K"
        content = response.content.decode()
        assert "Someone Else" not in content and "P099999999Z" not in content
        pdf = client.get(pdf_url(invoiced_sale)).content
        assert b"Mutua Musyoka" in pdf and b"Someone Else" not in pdf

    def test_customer_deleted_blanks_the_personal_details(
        self, client, cashier, manager, invoiced_sale
    ):
        phone = invoiced_sale.customer_phone
        customer_delete(actor=manager, customer=invoiced_sale.sale.customer)
        client.force_login(cashier)
        response = client.get(invoice_url(invoiced_sale))
        assert response.status_code == 200
        content = response.content.decode()
        assert by_testid(response, "invoice-number") == "INV-000001"
        assert by_testid(response, "invoice-customer-name") == "Deleted customer"
        assert by_testid(response, "invoice-customer-tax-pin") == "—"
        for personal in ("Mutua Musyoka", "A051234567K", phone, "Kyuso", "P.O. Box 12"):
            assert personal not in content, personal
        pdf = client.get(pdf_url(invoiced_sale)).content
        assert b"Deleted customer" in pdf
        assert b"Mutua Musyoka" not in pdf and b"A051234567K" not in pdf


class TestInvoicePdf:
    def test_is_a_pdf_download_with_the_number_and_customer(self, client, cashier, invoiced_sale):
        client.force_login(cashier)
        response = client.get(pdf_url(invoiced_sale))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="invoice-INV-000001.pdf"'
        assert "no-store" in response["Cache-Control"]
        pdf = response.content
        assert pdf.startswith(b"%PDF")
        for text in (
            b"INV-000001",
            b"Mutua Musyoka",
            b"A051234567K",
            SHOP_KRA_PIN.encode(),
            b"Mwingi Agrovet",
            b"2,500.00",
        ):
            assert text in pdf, text

    def test_names_with_markup_characters_and_long_invoices_build(self, cashier, make_customer):
        customer = make_customer(name="Mama Njeri & Sons <Ltd>", address="Plot 4 & 5")
        products = [make_product(name=f"Item {n} with a fairly long name") for n in range(60)]
        sale = sale_complete(
            cashier=cashier,
            customer=customer,
            lines=[(product, Decimal("1")) for product in products],
            payment_method=PaymentMethod.MPESA,
            mpesa_code="QAB1CD2EF3",
        )
        invoice = invoice_issue(actor=cashier, sale=sale)
        pdf = invoice_pdf(invoice_document(invoice))
        assert pdf.startswith(b"%PDF")
        # Printed as typed, not read as markup (reportlab may split a line into several runs).
        assert b"Mama Njeri & Sons <" in pdf and b"Plot 4 & 5" in pdf
        assert b"&amp;" not in pdf and b"&lt;" not in pdf
        assert b"QAB1CD2EF3" in pdf
        assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) >= 2  # sixty lines: two pages


def test_admin_lists_invoices_and_cannot_change_them(admin_client, manager, make_customer):
    from sales.services import invoice_issue
    from tests.factories import sell

    sale = sell(
        cashier=manager,
        customer=make_customer(name="Mutua Admin"),
        total="10",
        payment_method="cash",
    )
    invoice = invoice_issue(actor=manager, sale=sale)
    listing = admin_client.get(reverse("admin:sales_invoice_changelist"))
    assert listing.status_code == 200 and "Mutua Admin" in listing.content.decode()
    change_url = reverse("admin:sales_invoice_change", args=[invoice.pk])
    assert admin_client.post(change_url, {"customer_name": "Someone"}).status_code == 403
