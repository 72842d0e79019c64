"""Returning customers: a site identifies its logged-in customer to the widget with a signed id
(`identity`), and the conversations of that customer are linked so that advisors see the earlier ones
(`history`)."""
