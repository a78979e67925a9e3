/** dpc explain's usage lines, apart from explain itself: the help text of every command shows them. */
export const EXPLAIN_HELP = `  dpc explain SNAPSHOT_OR_BUNDLES --from NS/POD|IP --to NS/POD|IP --protocol TCP|UDP|SCTP|ICMP
              [--port N] [--source-port N] [--icmp-type T] [--icmp-code C] [--state new|established]
              [--node NODE] [--traceflow] [--format text|json]
`;
