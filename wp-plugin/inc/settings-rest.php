<?php
/**
 * The settings in the REST API: what GET shows (secrets only as "set" and a masked hint), what POST
 * changes, checked by the same sanitizer as the settings form (inc/settings.php), and the schema.
 *
 * @package automationtools-ai
 */

namespace ATAI\Settings;

use WP_Error;

/**
 * The settings as the REST API shows them: secrets only as "set" and a masked hint.
 *
 * @since 0.1.0
 *
 * @return array<string, mixed>
 */
function to_rest(): array {
	$data = array();
	foreach ( definitions() as $option => $definition ) {
		$name = $definition['rest'];
		if ( in_array( $option, SECRETS, true ) ) {
			$secret                  = get( $option );
			$data[ $name . '_set' ]  = '' !== $secret;
			$data[ $name . '_hint' ] = mask( $secret );
		} else {
			$data[ $name ] = get( $option );
		}
		if ( isset( CONSTANT_OVERRIDES[ $option ] ) ) {
			$data[ $name . '_source' ] = source( $option );
		}
	}
	$data['callback_url'] = callback_url();
	return $data;
}

/**
 * Save the settings given by REST name; an empty secret clears it. Nothing is saved if a value is bad.
 *
 * @since 0.1.0
 *
 * @param array<string, mixed> $params Values by REST name.
 * @return true|WP_Error
 */
function update_from_rest( array $params ) {
	$clean = array();
	foreach ( definitions() as $option => $definition ) {
		if ( ! array_key_exists( $definition['rest'], $params ) ) {
			continue;
		}
		if ( 'constant' === source( $option ) ) {
			return new WP_Error(
				'atai_setting_locked',
				/* translators: 1: field name, 2: PHP constant name. */
				sprintf( __( '%1$s: it is set by %2$s in wp-config.php and cannot be changed here.', 'automationtools-ai' ), label( $option ), CONSTANT_OVERRIDES[ $option ] ),
				array(
					'status' => 400,
					'field'  => $definition['rest'],
				)
			);
		}
		if ( WORKER_URL === $option && worker_url_locked() ) {
			$locked = invalid( $option, worker_url_lock_reason() );
			return new WP_Error( 'atai_setting_locked', $locked->get_error_message(), $locked->get_error_data() );
		}
		$value = clean( $option, $params[ $definition['rest'] ] );
		if ( is_wp_error( $value ) ) {
			return $value;
		}
		$clean[ $option ] = $value;
	}
	foreach ( $clean as $option => $value ) {
		update_option( $option, $value, ! in_array( $option, SECRETS, true ) );
	}
	return true;
}

/**
 * The JSON schema of the settings resource.
 *
 * @since 0.1.0
 *
 * @return array<string, mixed>
 */
function rest_schema(): array {
	$url_pattern = '^https?://';
	return array(
		'$schema'    => 'http://json-schema.org/draft-04/schema#',
		'title'      => 'atai-settings',
		'type'       => 'object',
		'properties' => array(
			'worker_url'              => array(
				'description' => __( 'Address of the worker service.', 'automationtools-ai' ),
				'type'        => 'string',
				'format'      => 'uri',
				'pattern'     => $url_pattern,
				'context'     => array( 'view', 'edit' ),
			),
			'worker_url_source'       => array(
				'type'     => 'string',
				'enum'     => array( 'option', 'constant' ),
				'readonly' => true,
				'context'  => array( 'view', 'edit' ),
			),
			'worker_secret'           => array(
				'description' => __( 'Shared secret (write-only; an empty string clears it).', 'automationtools-ai' ),
				'type'        => 'string',
				'maxLength'   => 4096,
				'context'     => array(),
			),
			'worker_secret_set'       => array(
				'type'     => 'boolean',
				'readonly' => true,
				'context'  => array( 'view', 'edit' ),
			),
			'worker_secret_hint'      => array(
				'type'     => 'string',
				'readonly' => true,
				'context'  => array( 'view', 'edit' ),
			),
			'worker_secret_source'    => array(
				'type'     => 'string',
				'enum'     => array( 'option', 'constant' ),
				'readonly' => true,
				'context'  => array( 'view', 'edit' ),
			),
			'ai_enabled'              => array(
				'type'    => 'boolean',
				'context' => array( 'view', 'edit' ),
			),
			'ai_base_url'             => array(
				'description' => __( 'OpenAI-compatible endpoint; empty uses the worker\'s environment.', 'automationtools-ai' ),
				'type'        => 'string',
				'context'     => array( 'view', 'edit' ),
			),
			'ai_api_key'              => array(
				'description' => __( 'AI API key (write-only; an empty string clears it).', 'automationtools-ai' ),
				'type'        => 'string',
				'maxLength'   => 4096,
				'context'     => array(),
			),
			'ai_api_key_set'          => array(
				'type'     => 'boolean',
				'readonly' => true,
				'context'  => array( 'view', 'edit' ),
			),
			'ai_api_key_hint'         => array(
				'type'     => 'string',
				'readonly' => true,
				'context'  => array( 'view', 'edit' ),
			),
			'ai_model'                => array(
				'type'      => 'string',
				'maxLength' => 200,
				'context'   => array( 'view', 'edit' ),
			),
			'ai_max_in_flight'        => array(
				'type'    => 'integer',
				'minimum' => MAX_IN_FLIGHT_MIN,
				'maximum' => MAX_IN_FLIGHT_MAX,
				'context' => array( 'view', 'edit' ),
			),
			'dedupe_threshold'        => array(
				'description' => __( 'Per cent of similar text from which an item is the same story as a post.', 'automationtools-ai' ),
				'type'        => 'integer',
				'minimum'     => NUMBER_RANGES[ DEDUPE_THRESHOLD ][0],
				'maximum'     => NUMBER_RANGES[ DEDUPE_THRESHOLD ][1],
				'context'     => array( 'view', 'edit' ),
			),
			'dedupe_window_days'      => array(
				'description' => __( 'Days of posts a similar text is compared with.', 'automationtools-ai' ),
				'type'        => 'integer',
				'minimum'     => NUMBER_RANGES[ DEDUPE_WINDOW_DAYS ][0],
				'maximum'     => NUMBER_RANGES[ DEDUPE_WINDOW_DAYS ][1],
				'context'     => array( 'view', 'edit' ),
			),
			'health_digest'           => array(
				'description' => __( 'Send the site\'s admin address a daily e-mail when feeds have problems.', 'automationtools-ai' ),
				'type'        => 'boolean',
				'context'     => array( 'view', 'edit' ),
			),
			'ai_check_model'          => array(
				'description' => __( 'A cheaper model on the same endpoint for the relevance pass and the second opinion; empty uses the rewrite\'s model.', 'automationtools-ai' ),
				'type'        => 'string',
				'maxLength'   => 200,
				'context'     => array( 'view', 'edit' ),
			),
			'ai_topic'                => array(
				'description' => __( 'The site\'s topic in a sentence: feeds with relevance on skip entries that do not fit it.', 'automationtools-ai' ),
				'type'        => 'string',
				'maxLength'   => TOPIC_MAX,
				'context'     => array( 'view', 'edit' ),
			),
			'ai_prices'               => array(
				'description' => __( 'Prices per model, one a line: model name, dollars per million input tokens, dollars per million output tokens.', 'automationtools-ai' ),
				'type'        => 'string',
				'context'     => array( 'view', 'edit' ),
			),
			'ai_monthly_budget'       => array(
				'description' => __( 'Dollars the AI may cost per month (0: no limit). When reached, rewriting waits until the next month or a higher budget.', 'automationtools-ai' ),
				'type'        => 'number',
				'minimum'     => 0,
				'maximum'     => BUDGET_MAX,
				'context'     => array( 'view', 'edit' ),
			),
			'callback_url'            => array(
				'type'     => 'string',
				'readonly' => true,
				'context'  => array( 'view', 'edit' ),
			),
		) + number_schemas( array( IMAGE_MAX_MB, IMAGE_MAX_MP, DAILY_POST_CAP ) ),
	);
}

/**
 * The REST schema of whole-number settings, from their ranges.
 *
 * @since 0.2.0
 *
 * @param string[] $options Option keys (of NUMBER_RANGES).
 * @return array<string, array<string, mixed>>
 */
function number_schemas( array $options ): array {
	$schemas = array();
	foreach ( $options as $option ) {
		$schemas[ definitions()[ $option ]['rest'] ] = array(
			'description' => label( $option ),
			'type'        => 'integer',
			'minimum'     => NUMBER_RANGES[ $option ][0],
			'maximum'     => NUMBER_RANGES[ $option ][1],
			'context'     => array( 'view', 'edit' ),
		);
	}
	return $schemas;
}
