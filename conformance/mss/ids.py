"""Requirement ids of the MSSanté checks (catalogue ``mss.toml``)."""

MIME = "MSS-01"  # readable, safe MIME message
ATTACHMENT = "MSS-02"  # IHE_XDM.ZIP + human-readable rendering
CODECDA = "MSS-03"  # X-MSS-CODECDA
INS = "MSS-04"  # X-MSS-INS
SUBJECT = "MSS-05"  # XDM/1.0/DDM+ subject
NOTIFICATION = "MSS-06"  # Disposition-Notification-To
ADDRESSES = "MSS-07"  # MSSanté sender and recipients
MDN = "MSS-08"  # multipart/report; report-type=disposition-notification
DISPOSITION = "MSS-09"  # processed | processed/Error: code^libellé + KO subject
ORIGINAL_ID = "MSS-10"  # Original-Message-ID refers back
