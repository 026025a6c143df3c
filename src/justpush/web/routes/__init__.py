"""One router per resource; `justpush.web.api` combines them."""
