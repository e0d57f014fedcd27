"""Reading the back office's tables in tests: their pages are keyset pages (core.pagination),
reached by following Next, not by number."""


def table_records(response) -> list:
    return [row.record for row in response.context["table"].paginated_rows]


def table_pages(client, url: str, params: dict) -> list[list]:
    """Every page of the table at `url`, following Next from the first: the records of each."""
    response = client.get(url, params)
    pages = [table_records(response)]
    while response.context["table"].page.has_next:
        response = client.get(f"{url}?{response.context['table'].page.next_query}")
        pages.append(table_records(response))
    return pages


def next_page_url(client, url: str, params: dict) -> str:
    """The address the first page's Next link goes to."""
    return f"{url}?{client.get(url, params).context['table'].page.next_query}"
