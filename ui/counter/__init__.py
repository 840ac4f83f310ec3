"""The counter app: what a civil servant uses all day."""
