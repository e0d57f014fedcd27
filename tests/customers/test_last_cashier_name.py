"""The customer table sorts by Last Cashier Name from a stored, indexed copy of the name
(Customer.last_cashier_name): it must read as the cashier's name does, and follow a rename."""

import pytest
from django.urls import reverse

from core.staff import staff_name
from customers.models import Customer
from tests.factories import sell
from tests.tables import table_records

pytestmark = pytest.mark.django_db


def test_a_sale_stores_the_cashiers_name_as_the_table_shows_it(make_customer, cashier, manager):
    cashier.first_name, cashier.last_name = "Wanjiru", "Kamau"
    cashier.save()
    named, unnamed, never = make_customer(), make_customer(name="Bob"), make_customer(name="Z")
    sell(cashier=cashier, customer=named, total="10", payment_method="cash")
    sell(cashier=manager, customer=unnamed, total="10", payment_method="cash")

    names = dict(Customer.objects.values_list("pk", "last_cashier_name"))
    assert names == {named.pk: "Wanjiru Kamau", unnamed.pk: manager.username, never.pk: None}
    assert staff_name(manager) == manager.username


def test_sorting_by_last_cashier_puts_customers_never_served_last(
    client, manager, cashier, make_customer
):
    cashier.first_name = "Achieng"
    cashier.save()
    manager.first_name = "Zawadi"
    manager.save()
    by_zawadi, by_achieng, never = make_customer(name="A"), make_customer(name="B"), make_customer()
    sell(cashier=manager, customer=by_zawadi, total="10", payment_method="cash")
    sell(cashier=cashier, customer=by_achieng, total="10", payment_method="cash")
    client.force_login(manager)
    url = reverse("customers:customer_list")

    ascending = table_records(client.get(url, {"sort": "last_cashier"}))
    descending = table_records(client.get(url, {"sort": "-last_cashier"}))

    assert [c.pk for c in ascending] == [by_achieng.pk, by_zawadi.pk, never.pk]
    assert [c.pk for c in descending] == [by_zawadi.pk, by_achieng.pk, never.pk]


def test_renaming_a_cashier_in_admin_renames_them_on_their_customers(
    admin_client, cashier, make_customer
):
    served, other = make_customer(), make_customer(name="Other")
    sell(cashier=cashier, customer=served, total="10", payment_method="cash")
    change_url = reverse("admin:auth_user_change", args=[cashier.pk])
    form = admin_client.get(change_url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        username=cashier.username,
        first_name="Mueni",
        last_name="Musyoka",
        groups=[group.pk for group in cashier.groups.all()],
        user_permissions=[],
        date_joined_0=cashier.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=cashier.date_joined.strftime("%H:%M:%S"),
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)

    response = admin_client.post(change_url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    served.refresh_from_db()
    other.refresh_from_db()
    assert served.last_cashier_name == "Mueni Musyoka"
    assert other.last_cashier_name is None
