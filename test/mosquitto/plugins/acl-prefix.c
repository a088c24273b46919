/*
 * A mosquitto 2.x plugin (plugin interface v5, MOSQ_EVT_ACL_CHECK) for the tests: a client may
 * publish, receive and subscribe only under one topic prefix (plugin_opt_allow, e.g. "open/").
 * Everything else is MOSQ_ERR_ACL_DENIED, which mosquitto answers, in MQTT 5.0, with SUBACK,
 * PUBACK or PUBREC reason code 0x87 Not authorized. (mosquitto's own acl_file never refuses a
 * SUBSCRIBE: it checks subscriptions when it delivers.) Test code only: never shipped.
 *
 * Built by the tests (test/fixtures/mosquitto-plugin.ts).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

static mosquitto_plugin_id_t *plugin_id;
static char allow[256];
static size_t allow_len;

static int on_acl_check(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_acl_check *ed = event_data;
	(void)event;
	(void)userdata;
	if(ed->topic != NULL && strncmp(ed->topic, allow, allow_len) == 0) return MOSQ_ERR_SUCCESS;
	mosquitto_log_printf(MOSQ_LOG_INFO, "acl-prefix: denied %s access %d to %s",
			mosquitto_client_id(ed->client) ? mosquitto_client_id(ed->client) : "(no id)", ed->access, ed->topic ? ed->topic : "");
	return MOSQ_ERR_ACL_DENIED;
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
	(void)userdata;
	plugin_id = identifier;
	allow_len = 0;
	for(int i = 0; i < option_count; i++){
		if(strcmp(options[i].key, "allow") == 0){
			allow_len = strlen(options[i].value);
			if(allow_len >= sizeof(allow)) allow_len = 0;
			else memcpy(allow, options[i].value, allow_len);
		}
	}
	if(allow_len == 0){
		mosquitto_log_printf(MOSQ_LOG_ERR, "acl-prefix: plugin_opt_allow is missing (1..255 characters)");
		return MOSQ_ERR_INVAL;
	}
	return mosquitto_callback_register(plugin_id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL, NULL);
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options, int option_count)
{
	(void)userdata;
	(void)options;
	(void)option_count;
	return mosquitto_callback_unregister(plugin_id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL);
}
