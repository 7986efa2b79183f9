"""Server lifecycle, exchange recording and deviation flags shared by every mock."""
