/*
 * A mosquitto 2.x plugin (plugin interface v5, mosquitto_plugin.h / mosquitto_broker.h) that adds
 * one MQTT 5.0 enhanced authentication method (MQTT 5.0 section 4.12, AUTH packet 3.15), for the
 * tests of the client's EnhancedAuth hook against a real broker. Test code only: never shipped.
 *
 * Method "x-thermo-challenge", a challenge-response over a shared secret (plugin_opt_secret):
 *   client  CONNECT (or AUTH 0x19 Re-authenticate)  data = client nonce (0..64 bytes)
 *   server  AUTH 0x18 Continue authentication        data = server nonce (16 random bytes)
 *   client  AUTH 0x18                                data = HMAC-SHA256(secret, server nonce || client nonce)
 *   server  CONNACK 0x00 (or AUTH 0x00 Success)      data = HMAC-SHA256(secret, client nonce || server nonce)
 * A wrong answer is MOSQ_ERR_AUTH: CONNACK 0x87 Not authorized (DISCONNECT 0x87 when
 * re-authenticating). Any other method is deferred, and with no other plugin mosquitto answers
 * CONNACK 0x8C Bad authentication method.
 *
 * Built by the tests (test/fixtures/mosquitto-plugin.ts): gcc -shared -fPIC ... -lcrypto.
 * HMAC and randomness come from OpenSSL's libcrypto (HMAC(3), RAND_bytes(3)).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define METHOD "x-thermo-challenge"
#define NONCE_LEN 16
#define MAX_CLIENT_NONCE 64
#define MAC_LEN 32
#define MAX_EXCHANGES 256

/* One exchange under way, keyed by the broker's client pointer. */
struct exchange {
	const struct mosquitto *client;
	uint8_t server_nonce[NONCE_LEN];
	uint8_t client_nonce[MAX_CLIENT_NONCE];
	uint16_t client_nonce_len;
};

static mosquitto_plugin_id_t *plugin_id;
static char secret[256];
static size_t secret_len;
static struct exchange exchanges[MAX_EXCHANGES];
static unsigned next_slot;

static struct exchange *find_exchange(const struct mosquitto *client)
{
	for(unsigned i = 0; i < MAX_EXCHANGES; i++){
		if(exchanges[i].client == client) return &exchanges[i];
	}
	return NULL;
}

static struct exchange *new_exchange(const struct mosquitto *client)
{
	struct exchange *e = find_exchange(client);
	if(e == NULL) e = find_exchange(NULL);
	if(e == NULL){
		/* Full (clients that never finished): reuse the slots in turn. */
		e = &exchanges[next_slot];
		next_slot = (next_slot + 1) % MAX_EXCHANGES;
	}
	memset(e, 0, sizeof(*e));
	e->client = client;
	return e;
}

/* HMAC-SHA256(secret, a || b) into out (MAC_LEN bytes). */
static bool mac(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len, uint8_t *out)
{
	uint8_t message[NONCE_LEN + MAX_CLIENT_NONCE];
	unsigned out_len = 0;
	if(a_len + b_len > sizeof(message)) return false;
	memcpy(message, a, a_len);
	memcpy(message + a_len, b, b_len);
	return HMAC(EVP_sha256(), secret, (int)secret_len, message, a_len + b_len, out, &out_len) != NULL && out_len == MAC_LEN;
}

static const char *client_id(const struct mosquitto *client)
{
	const char *id = mosquitto_client_id(client);
	return id ? id : "(no id)";
}

/* CONNECT or AUTH 0x19 with our method: answer with a fresh server nonce. */
static int auth_start(struct mosquitto_evt_extended_auth *ed)
{
	struct exchange *e;
	uint8_t *out;

	if(ed->auth_method == NULL || strcmp(ed->auth_method, METHOD) != 0) return MOSQ_ERR_PLUGIN_DEFER;
	if(ed->data_in_len > MAX_CLIENT_NONCE){
		mosquitto_log_printf(MOSQ_LOG_INFO, METHOD ": %s sent a %u-byte client nonce (at most %d), refused",
				client_id(ed->client), (unsigned)ed->data_in_len, MAX_CLIENT_NONCE);
		return MOSQ_ERR_AUTH;
	}
	e = new_exchange(ed->client);
	if(RAND_bytes(e->server_nonce, NONCE_LEN) != 1) return MOSQ_ERR_UNKNOWN;
	if(ed->data_in_len > 0) memcpy(e->client_nonce, ed->data_in, ed->data_in_len);
	e->client_nonce_len = ed->data_in_len;

	out = mosquitto_malloc(NONCE_LEN);
	if(out == NULL) return MOSQ_ERR_NOMEM;
	memcpy(out, e->server_nonce, NONCE_LEN);
	ed->data_out = out;
	ed->data_out_len = NONCE_LEN;
	mosquitto_log_printf(MOSQ_LOG_INFO, METHOD ": challenge sent to %s", client_id(ed->client));
	return MOSQ_ERR_AUTH_CONTINUE;
}

/* AUTH 0x18 from the client: check its answer; on success prove ourselves back. */
static int auth_continue(struct mosquitto_evt_extended_auth *ed)
{
	struct exchange *e;
	uint8_t expected[MAC_LEN];
	uint8_t *proof;
	bool ok;

	/* mosquitto 2.0 leaves auth_method NULL in this event (it checked the AUTH's method against
	 * the CONNECT's): an exchange we started is what makes the answer ours. */
	if(ed->auth_method != NULL && strcmp(ed->auth_method, METHOD) != 0) return MOSQ_ERR_PLUGIN_DEFER;
	e = find_exchange(ed->client);
	if(e == NULL) return MOSQ_ERR_PLUGIN_DEFER;
	ok = mac(e->server_nonce, NONCE_LEN, e->client_nonce, e->client_nonce_len, expected)
			&& ed->data_in_len == MAC_LEN
			&& CRYPTO_memcmp(expected, ed->data_in, MAC_LEN) == 0;
	if(!ok){
		e->client = NULL;
		mosquitto_log_printf(MOSQ_LOG_INFO, METHOD ": wrong answer from %s, refused", client_id(ed->client));
		return MOSQ_ERR_AUTH;
	}
	proof = mosquitto_malloc(MAC_LEN);
	if(proof == NULL || !mac(e->client_nonce, e->client_nonce_len, e->server_nonce, NONCE_LEN, proof)){
		mosquitto_free(proof);
		return MOSQ_ERR_UNKNOWN;
	}
	e->client = NULL;
	ed->data_out = proof;
	ed->data_out_len = MAC_LEN;
	mosquitto_log_printf(MOSQ_LOG_INFO, METHOD ": %s authenticated", client_id(ed->client));
	return MOSQ_ERR_SUCCESS;
}

static int on_auth_start(int event, void *event_data, void *userdata)
{
	(void)event;
	(void)userdata;
	return auth_start(event_data);
}

static int on_auth_continue(int event, void *event_data, void *userdata)
{
	(void)event;
	(void)userdata;
	return auth_continue(event_data);
}

static int on_disconnect(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_disconnect *ed = event_data;
	struct exchange *e = find_exchange(ed->client);
	(void)event;
	(void)userdata;
	if(e) e->client = NULL;
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	for(int i = 0; i < supported_version_count; i++){
		if(supported_versions[i] == 5) return 5;
	}
	return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata, struct mosquitto_opt *options, int option_count)
{
	int rc;
	(void)userdata;
	plugin_id = identifier;
	secret_len = 0;
	for(int i = 0; i < option_count; i++){
		if(strcmp(options[i].key, "secret") == 0){
			secret_len = strlen(options[i].value);
			if(secret_len >= sizeof(secret)) secret_len = 0;
			else memcpy(secret, options[i].value, secret_len);
		}
	}
	if(secret_len == 0){
		mosquitto_log_printf(MOSQ_LOG_ERR, METHOD ": plugin_opt_secret is missing (1..255 characters)");
		return MOSQ_ERR_INVAL;
	}
	rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_EXT_AUTH_START, on_auth_start, NULL, NULL);
	if(rc == MOSQ_ERR_SUCCESS) rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_EXT_AUTH_CONTINUE, on_auth_continue, NULL, NULL);
	if(rc == MOSQ_ERR_SUCCESS) rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_DISCONNECT, on_disconnect, NULL, NULL);
	return rc;
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options, int option_count)
{
	(void)userdata;
	(void)options;
	(void)option_count;
	mosquitto_callback_unregister(plugin_id, MOSQ_EVT_EXT_AUTH_START, on_auth_start, NULL);
	mosquitto_callback_unregister(plugin_id, MOSQ_EVT_EXT_AUTH_CONTINUE, on_auth_continue, NULL);
	mosquitto_callback_unregister(plugin_id, MOSQ_EVT_DISCONNECT, on_disconnect, NULL);
	return MOSQ_ERR_SUCCESS;
}
