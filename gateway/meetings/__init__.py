"""The domain: MeetingsService and the rules of ranges, slots and bookings."""
