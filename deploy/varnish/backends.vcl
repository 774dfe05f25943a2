# The Byline servers behind Varnish, included by byline.vcl: one backend per host (as in
# deploy/compose.yaml, byline-1 and byline-2 on port 8000), each asked /readyz every second.
# A host that fails two checks of three gets no reads until it passes again; reads are
# spread over the healthy ones. Add a backend line and an `add_backend` for each host.
import directors;

# Who may purge: the hosts of `byline worker` (and of `byline serve` with its own worker).
acl purgers {
    "127.0.0.1";
    "::1";
    # The compose network of deploy/compose.yaml; leave it out elsewhere.
    "172.28.0.0"/16;
}

probe ready {
    .url = "/readyz";
    .interval = 1s;
    .timeout = 2s;
    .window = 3;
    .threshold = 2;
    .initial = 2;
}

backend byline_1 {
    .host = "byline-1";
    .port = "8000";
    .probe = ready;
    .connect_timeout = 1s;
    # A live stream sends a heartbeat comment every STREAM_HEARTBEAT_SECONDS (15 s).
    .between_bytes_timeout = 60s;
}

backend byline_2 {
    .host = "byline-2";
    .port = "8000";
    .probe = ready;
    .connect_timeout = 1s;
    .between_bytes_timeout = 60s;
}

sub vcl_init {
    new hosts = directors.round_robin();
    hosts.add_backend(byline_1);
    hosts.add_backend(byline_2);
}

sub vcl_recv {
    set req.backend_hint = hosts.backend();
}
