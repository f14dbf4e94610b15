package enum OctopodsKitPlaceholder {}
