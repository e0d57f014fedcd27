from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer
from customers.services import customer_create, customer_delete, customer_update
from sales.models import Sale
from tests.factories import sell

pytestmark = pytest.mark.django_db


def test_create_stores_phone_in_e164_and_defaults_to_walk_in(make_customer):
    customer = make_customer(phone="0712 345 678", tax_pin=" a004416331m ")
    customer.refresh_from_db()
    assert customer.phone.as_e164 == "+254712345678"
    assert customer.tax_pin == "A004416331M"
    assert customer.group.slug == "walk-in"


@pytest.mark.parametrize("same_number", ["+254712345678", "254712345678", "0712-345-678"])
def test_create_refuses_the_same_phone_typed_another_way(make_customer, same_number):
    make_customer(phone="0712345678")
    with pytest.raises(ValidationError) as refused:
        make_customer(name="Someone Else", phone=same_number)
    assert "phone" in refused.value.message_dict
    assert Customer.objects.count() == 1


def test_create_refuses_a_bad_tax_pin_and_writes_nothing(make_customer):
    with pytest.raises(ValidationError) as refused:
        make_customer(tax_pin="X12345")
    assert "tax_pin" in refused.value.message_dict
    assert not Customer.objects.exists()


def test_tax_pin_is_unique_when_given_but_may_be_blank_for_many(make_customer):
    make_customer(tax_pin="A004416331M")
    with pytest.raises(ValidationError):
        make_customer(tax_pin="a004416331m")
    make_customer(tax_pin="")
    make_customer(tax_pin="")
    assert Customer.objects.filter(tax_pin="").count() == 2


def test_location_needs_both_coordinates(make_customer):
    with pytest.raises(ValidationError):
        make_customer(latitude=Decimal("-0.5"))
    assert not Customer.objects.exists()


def test_update_changes_fields_and_clusters_and_records_who(make_customer, manager, clusters):
    customer = make_customer()
    customer_update(
        actor=manager, customer=customer, village="Kitui", send_sms=True, clusters=clusters
    )
    customer.refresh_from_db()
    assert customer.village == "Kitui" and customer.send_sms
    assert set(customer.clusters.all()) == set(clusters)
    latest = customer.history.order_by("-history_date", "-history_id").first()
    assert latest.history_user == manager


def test_delete_is_refused_while_the_customer_owes_credit(make_customer, manager, cashier):
    customer = make_customer(credit_limit=Decimal("5000"))
    sell(cashier=cashier, customer=customer, total=Decimal("1200"), payment_method="credit")
    with pytest.raises(ValidationError, match="owes KES 1,200.00"):
        customer_delete(actor=manager, customer=customer)
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_delete_keeps_sales_in_the_books_and_blanks_personal_data_in_history(
    make_customer, manager, cashier
):
    customer = make_customer(name="Achieng Otieno", phone="0722000111", email="a@example.com")
    customer_id = customer.pk
    sell(cashier=cashier, customer=customer, total=Decimal("750.50"), payment_method="cash")

    customer_delete(actor=manager, customer=customer)

    assert not Customer.objects.filter(pk=customer_id).exists()
    sale = Sale.objects.get()
    assert sale.customer is None and sale.total == Decimal("750.50")
    history = Customer.history.filter(id=customer_id)
    assert history.filter(history_type="-", history_user=manager).exists()
    assert not history.filter(name="Achieng Otieno").exists()
    assert not history.exclude(phone="").exists()
    assert not history.exclude(email="").exists()


def test_create_rejects_unknown_fields(manager, clusters):
    with pytest.raises(TypeError):
        customer_create(
            actor=manager, name="X", phone="0712345678", clusters=clusters, total_spent=5
        )
