/* SPDX-License-Identifier: BSD-3-Clause */
#include "vrrp_pkt.h"

#include <string.h>

const char *const vrrp_bad_names[VRRP_BAD_MAX] = {
#define X(e, name, text) name,
	VRRP_BAD_REASONS(X)
#undef X
};

const char *const vrrp_bad_texts[VRRP_BAD_MAX] = {
#define X(e, name, text) text,
	VRRP_BAD_REASONS(X)
#undef X
};

uint32_t vrrp_sum(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;
	/* Byte pairs, big-endian: the result does not depend on alignment. */
	for (; len > 1; len -= 2, b += 2)
		sum += (uint32_t)b[0] << 8 | b[1];
	if (len)
		sum += (uint32_t)b[0] << 8;
	return sum;
}

uint16_t vrrp_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void put16(uint8_t *p, uint16_t host)
{
	p[0] = (uint8_t)(host >> 8);
	p[1] = (uint8_t)host;
}

/* v3's checksum covers an IPv4 pseudo-header; v2's only the VRRP message. */
static uint32_t pseudo_sum(uint32_t saddr, uint32_t daddr, uint16_t len)
{
	uint8_t ph[12];
	memcpy(ph, &saddr, 4);
	memcpy(ph + 4, &daddr, 4);
	ph[8] = 0;
	ph[9] = VRRP_IPPROTO;
	put16(ph + 10, len);
	return vrrp_sum(ph, sizeof(ph), 0);
}

enum vrrp_bad vrrp_pkt_parse(const uint8_t *buf, size_t len, struct vrrp_adv *a)
{
	memset(a, 0, sizeof(*a));
	if (len < VRRP_IP_HDR_LEN)
		return VRRP_BAD_TRUNC;
	unsigned ihl = (buf[0] & 0x0f) * 4u;
	unsigned tot = (unsigned)buf[2] << 8 | buf[3];
	if ((buf[0] >> 4) != 4 || ihl < VRRP_IP_HDR_LEN || tot < ihl || tot > len)
		return VRRP_BAD_IP_HDR;
	if (buf[9] != VRRP_IPPROTO)
		return VRRP_BAD_NOT_VRRP;
	if (tot - ihl < VRRP_HDR_LEN)
		return VRRP_BAD_TRUNC;
	a->ttl = buf[8];
	a->saddr = get32(buf + 12);
	a->daddr = get32(buf + 16);
	const uint8_t *v = buf + ihl;
	a->vrrp = v;
	a->vrrp_len = (uint16_t)(tot - ihl);
	a->version = v[0] >> 4;
	a->type = v[0] & 0x0f;
	a->vrid = v[1];
	a->priority = v[2];
	a->naddr = v[3];
	if (a->version == 2) {
		a->auth_type = v[4];
		a->adver_int_cs = (uint16_t)(v[5] * 100u);
	} else {
		a->adver_int_cs = (uint16_t)(((v[4] & 0x0f) << 8) | v[5]);
	}
	a->addrs = v + VRRP_HDR_LEN;
	return VRRP_PKT_OK;
}

static bool addr_in(uint32_t a, const uint32_t *list, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (list[i] == a)
			return true;
	return false;
}

enum vrrp_bad vrrp_pkt_check(const struct vrrp_adv *a, const struct vrrp_pkt_cfg *c)
{
	if (a->saddr == c->saddr)
		return VRRP_BAD_OWN;
	/* With unicast peers, only they may speak for this router. */
	if (c->n_peers && !addr_in(a->saddr, c->peers, c->n_peers))
		return VRRP_BAD_SOURCE;
	if (a->ttl != VRRP_TTL)
		return VRRP_BAD_TTL;
	if (a->version != c->version)
		return VRRP_BAD_VERSION;
	if (a->type != VRRP_TYPE_ADVERT)
		return VRRP_BAD_TYPE;
	size_t need = VRRP_HDR_LEN + 4u * a->naddr + (a->version == 2 ? VRRP_AUTH_LEN : 0);
	if (a->vrrp_len < need)
		return VRRP_BAD_LENGTH;
	uint32_t sum = vrrp_sum(a->vrrp, a->vrrp_len, 0);
	if (a->version == 3)
		sum += pseudo_sum(a->saddr, a->daddr, a->vrrp_len);
	if (vrrp_fold(sum) != 0)
		return VRRP_BAD_CSUM;
	if (a->adver_int_cs == 0)
		return VRRP_BAD_INTERVAL_ZERO;
	if (a->version == 2 && a->adver_int_cs != c->adver_int_cs)
		return VRRP_BAD_INTERVAL;
	if (a->version == 2) {
		uint8_t want = c->auth_pass ? VRRP_AUTH_PASS : VRRP_AUTH_NONE;
		if (a->auth_type != want)
			return VRRP_BAD_AUTH_TYPE;
		const uint8_t *auth = a->addrs + 4u * a->naddr;
		if (want == VRRP_AUTH_PASS && memcmp(auth, c->pass, VRRP_AUTH_LEN) != 0)
			return VRRP_BAD_AUTH;
	}
	/*
	 * RFC 3768/5798: a receiver may verify the address list and must drop
	 * a mismatch unless the sender is the owner (priority 255). Compared as
	 * sets: the order is the sender's configuration order.
	 */
	if (a->priority != VRRP_PRIO_OWNER) {
		if (a->naddr != c->naddr)
			return VRRP_BAD_ADDR_COUNT;
		for (unsigned i = 0; i < a->naddr; i++)
			if (!addr_in(get32(a->addrs + 4 * i), c->addrs, c->naddr))
				return VRRP_BAD_ADDR_LIST;
	}
	return VRRP_PKT_OK;
}

size_t vrrp_pkt_build(uint8_t *buf, size_t cap, const struct vrrp_pkt_cfg *c,
		      uint8_t priority, uint32_t daddr, uint16_t ip_id)
{
	size_t vlen = VRRP_HDR_LEN + 4u * c->naddr + (c->version == 2 ? VRRP_AUTH_LEN : 0);
	size_t tot = VRRP_IP_HDR_LEN + vlen;
	if (cap < tot)
		return 0;
	memset(buf, 0, tot);

	uint8_t *ip = buf;
	ip[0] = 0x45;
	ip[1] = 0xc0; /* precedence "internetwork control", as keepalived */
	put16(ip + 2, (uint16_t)tot);
	put16(ip + 4, ip_id);
	ip[8] = VRRP_TTL;
	ip[9] = VRRP_IPPROTO;
	memcpy(ip + 12, &c->saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	put16(ip + 10, vrrp_fold(vrrp_sum(ip, VRRP_IP_HDR_LEN, 0)));

	uint8_t *v = buf + VRRP_IP_HDR_LEN;
	v[0] = (uint8_t)(c->version << 4 | VRRP_TYPE_ADVERT);
	v[1] = c->vrid;
	v[2] = priority;
	v[3] = c->naddr;
	if (c->version == 2) {
		v[4] = c->auth_pass ? VRRP_AUTH_PASS : VRRP_AUTH_NONE;
		v[5] = (uint8_t)(c->adver_int_cs / 100);
	} else {
		put16(v + 4, (uint16_t)(c->adver_int_cs & 0x0fff));
	}
	memcpy(v + VRRP_HDR_LEN, c->addrs, 4u * c->naddr);
	if (c->version == 2 && c->auth_pass)
		memcpy(v + VRRP_HDR_LEN + 4u * c->naddr, c->pass, VRRP_AUTH_LEN);
	uint32_t sum = vrrp_sum(v, vlen, 0);
	if (c->version == 3)
		sum += pseudo_sum(c->saddr, daddr, (uint16_t)vlen);
	put16(v + 6, vrrp_fold(sum));
	return tot;
}
