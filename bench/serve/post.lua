-- wrk: POST a 16-byte body (bench/serve.sh)
wrk.method = "POST"
wrk.body = "0123456789abcdef"
