"""The audit log: every money change, customer change or deletion, export and import records who,
when and what, in the transaction of the change; managers read it at reports:audit_log."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditAction, AuditEvent
from credit.services import credit_adjust, credit_payment_receive
from customers.services import customer_delete, customer_update
from sales.services import sale_void
from tests.factories import sell

pytestmark = pytest.mark.django_db

AUDIT_URL = reverse("reports:audit_log")


def events(action=None) -> list[AuditEvent]:
    found = AuditEvent.objects.order_by("pk")
    return list(found.filter(action=action) if action else found)


class TestWhatIsRecorded:
    def test_customer_added_changed_and_deleted_keeps_no_personal_data(
        self, manager, make_customer
    ):
        customer = make_customer(name="Wanjiru Kamau", credit_limit=Decimal("1000"))
        customer_update(
            actor=manager, customer=customer, credit_limit=Decimal("5000"), village="Kitui"
        )
        customer_update(actor=manager, customer=customer, village="Kitui")  # no change

        added, changed = events(AuditAction.CUSTOMER_ADDED), events(AuditAction.CUSTOMER_CHANGED)
        assert [(e.actor, e.actor_name, e.target, e.target_id) for e in added] == [
            (manager, "manager", "Wanjiru Kamau", customer.pk)
        ]
        assert (
            len(changed) == 1 and changed[0].details == "credit limit 1,000.00 → 5,000.00, village"
        )

        customer_delete(actor=manager, customer=customer)
        deleted = events(AuditAction.CUSTOMER_DELETED)
        assert [(e.target_type, e.target_id, e.target) for e in deleted] == [
            ("customer", customer.pk, "Deleted customer")
        ]
        # The log still says what happened to the customer, but no longer who they were.
        assert not AuditEvent.objects.filter(target__contains="Wanjiru").exists()
        assert AuditEvent.objects.filter(target_id=customer.pk).count() == 3

    def test_every_money_change_with_its_amount(self, cashier, manager, make_customer):
        customer = make_customer(name="Otieno", credit_limit=Decimal("5000"))
        sale = sell(cashier=cashier, customer=customer, total="800", payment_method="credit")
        credit_payment_receive(actor=cashier, customer=customer, amount="300", method="cash")
        credit_adjust(actor=manager, customer=customer, amount="-50", reason="Rounded off")
        cash_sale = sell(cashier=cashier, customer=customer, total="200", payment_method="cash")
        sale_void(actor=manager, sale=cash_sale, reason="Rang up twice")

        money = [
            (e.action, e.actor, e.amount, e.details)
            for e in events()
            if e.action != AuditAction.CUSTOMER_ADDED
        ]
        assert money == [
            (
                AuditAction.CREDIT_SALE,
                cashier,
                Decimal("800.00"),
                f"Sale {sale.pk}; now owes KES 800.00",
            ),
            (AuditAction.CREDIT_PAYMENT, cashier, Decimal("-300.00"), "now owes KES 500.00"),
            (
                AuditAction.CREDIT_ADJUSTMENT,
                manager,
                Decimal("-50.00"),
                "Rounded off; now owes KES 450.00",
            ),
            (AuditAction.SALE_VOIDED, manager, Decimal("-200.00"), "Rang up twice"),
        ]

    def test_a_refused_change_records_nothing(self, cashier, make_customer):
        customer = make_customer(name="Chebet")
        with pytest.raises(ValidationError):
            credit_payment_receive(actor=cashier, customer=customer, amount="10", method="cash")
        assert events() == events(AuditAction.CUSTOMER_ADDED)

    def test_each_export_with_its_filters(self, client, manager, make_customer):
        make_customer(name="Amina")
        client.force_login(manager)
        response = client.get(reverse("customers:customer_export_csv"), {"q": "Amina"})
        b"".join(response.streaming_content)
        client.get(reverse("customers:customer_export_sms"))
        exports = events(AuditAction.EXPORT)
        assert [(e.actor, e.details) for e in exports] == [
            (manager, "/customers/export/csv/?q=Amina"),
            (manager, "/customers/export/sms/"),
        ]
        assert exports[0].target.startswith("customers-") and exports[0].target.endswith(".csv")
        # The import template is a download, not an export of the shop's data.
        client.get(reverse("customers:customer_import_template"))
        assert len(events(AuditAction.EXPORT)) == 2

    def test_an_import_uploaded_confirmed_and_finished(self, client, manager, clusters):
        client.force_login(manager)
        client.post(
            reverse("customers:customer_import"),
            {
                "file": SimpleUploadedFile(
                    "old-pos.csv",
                    b"Name,Phone,Village,Clusters\nAmina,0712345678,Mwingi,",
                    "text/csv",
                )
            },
        )
        uploaded = events(AuditAction.IMPORT_UPLOADED)
        assert [(e.actor, e.target_type, e.details) for e in uploaded] == [
            (manager, "customerimport", "1 rows")
        ]
        client.post(reverse("customers:customer_import_confirm", args=[uploaded[0].target_id]))
        assert [e.actor for e in events(AuditAction.IMPORT_CONFIRMED)] == [manager]
        finished = events(AuditAction.IMPORT_FINISHED)
        assert [(e.actor, e.details) for e in finished] == [
            (manager, "Imported: 1 new, 0 updated, 0 unchanged, 0 refused")
        ]


class TestThePage:
    def test_managers_read_it_newest_first_and_filter_it(
        self, client, manager, cashier, make_customer
    ):
        customer = make_customer(name="Baraka", credit_limit=Decimal("5000"))
        sell(cashier=cashier, customer=customer, total="100", payment_method="credit")
        client.force_login(manager)

        page = client.get(AUDIT_URL)
        rows = [record.action for record in page.context["table"].data]
        assert rows == [AuditAction.CREDIT_SALE, AuditAction.CUSTOMER_ADDED]
        html = page.content.decode()
        assert "Credit sale" in html and "Customer added" in html and "Baraka" in html

        only_money = client.get(AUDIT_URL, {"action": AuditAction.CREDIT_SALE})
        assert [r.actor for r in only_money.context["table"].data] == [cashier]
        by_cashier = client.get(AUDIT_URL, {"actor": manager.pk})
        assert [r.action for r in by_cashier.context["table"].data] == [AuditAction.CUSTOMER_ADDED]

    def test_unknown_filters_give_a_message_not_a_500(self, client, manager):
        client.force_login(manager)
        response = client.get(AUDIT_URL, {"action": "nonsense", "date_from": "32/13/2026"})
        assert response.status_code == 200
        assert "Some filters were not understood" in response.content.decode()

    def test_cashiers_may_not_read_it(self, client, cashier):
        client.force_login(cashier)
        assert client.get(AUDIT_URL).status_code == 403

    def test_the_reports_menu_links_to_it(self, client, manager):
        client.force_login(manager)
        assert f'href="{AUDIT_URL}"' in client.get(reverse("reports:index")).content.decode()
