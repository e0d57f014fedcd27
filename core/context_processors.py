from django.conf import settings


def shop(request):
    """The shop's own details, as printed on receipts and invoices."""
    return {
        "SHOP_NAME": settings.SHOP_NAME,
        "SHOP": {
            "name": settings.SHOP_NAME,
            "address": settings.SHOP_ADDRESS,
            "phone": settings.SHOP_PHONE,
            "email": settings.SHOP_EMAIL,
            "kra_pin": settings.SHOP_KRA_PIN,
            "receipt_footer": settings.RECEIPT_FOOTER,
        },
    }
