# escape=`
FROM debian:bookworm AS base
WORKDIR /w
RUN echo one `
    two > /w/words
USER nobody
ENV PRICE=`$5 HOME_DIR=/home
WORKDIR sub
RUN echo "$PRICE" > /tmp/price

FROM base
COPY --from=0 /w/words /copy
