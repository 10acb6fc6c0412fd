<?php
/**
 * Settings: option keys, defaults, and one sanitizer used on save and on read (their REST shape:
 * inc/settings-rest.php).
 *
 * Secrets (the shared secret and the AI API key) are write-only: nothing here ever returns them
 * to a browser, only whether they are set and a masked hint.
 *
 * @package automationtools-ai
 */

namespace ATAI\Settings;

use WP_Error;

const GROUP = 'atai_settings';

const WORKER_URL       = 'atai_worker_url';
const WORKER_SECRET    = 'atai_worker_secret';
const AI_ENABLED       = 'atai_ai_enabled';
const AI_BASE_URL      = 'atai_ai_base_url';
const AI_API_KEY       = 'atai_ai_api_key';
const AI_MODEL         = 'atai_ai_model';
const AI_MAX_IN_FLIGHT = 'atai_ai_max_in_flight';
const DEDUPE_THRESHOLD   = 'atai_dedupe_threshold';
const DEDUPE_WINDOW_DAYS = 'atai_dedupe_window_days';
const HEALTH_DIGEST      = 'atai_health_digest';
const IMAGE_MAX_MB       = 'atai_image_max_mb';
const IMAGE_MAX_MP       = 'atai_image_max_megapixels';
const DAILY_POST_CAP     = 'atai_daily_post_cap';
const AI_CHECK_MODEL     = 'atai_ai_check_model';
const AI_TOPIC           = 'atai_ai_topic';
const AI_PRICES          = 'atai_ai_prices';
const AI_BUDGET          = 'atai_ai_monthly_budget';

/** Every option this file owns; uninstall deletes exactly these. */
const OPTIONS = array( WORKER_URL, WORKER_SECRET, AI_ENABLED, AI_BASE_URL, AI_API_KEY, AI_MODEL, AI_MAX_IN_FLIGHT, DEDUPE_THRESHOLD, DEDUPE_WINDOW_DAYS, AI_CHECK_MODEL, AI_TOPIC, AI_PRICES, AI_BUDGET, HEALTH_DIGEST, IMAGE_MAX_MB, IMAGE_MAX_MP, DAILY_POST_CAP );

/** Options that are never shown back and are stored with autoload off. */
const SECRETS = array( WORKER_SECRET, AI_API_KEY );

/** wp-config.php constants that win over the saved options. */
const CONSTANT_OVERRIDES = array(
	WORKER_URL    => 'ATAI_WORKER_URL',
	WORKER_SECRET => 'ATAI_WORKER_SECRET',
);

/** Where the worker reaches WordPress when it is not at rest_url() (e.g. another host name in Docker). */
const CALLBACK_URL_CONSTANT = 'ATAI_CALLBACK_URL';

const DEFAULT_WORKER_URL = 'http://127.0.0.1:8090';
const MAX_IN_FLIGHT_MIN  = 1;
const MAX_IN_FLIGHT_MAX  = 64;
const TOPIC_MAX          = 1000;
const BUDGET_MAX         = 1000000;

/**
 * Whole-number options and their allowed ranges.
 *
 * The duplicate threshold is a similarity in per cent: two texts at least this similar are one story.
 * 45 separates the edited wire copy from the look-alike stories of our set (bench/dedupe_quality.py);
 * below 30 the worker's band keys no longer find every pair that similar.
 */
const NUMBER_RANGES = array(
	AI_MAX_IN_FLIGHT   => array( MAX_IN_FLIGHT_MIN, MAX_IN_FLIGHT_MAX ),
	DEDUPE_THRESHOLD   => array( 30, 100 ),
	DEDUPE_WINDOW_DAYS => array( 1, 365 ),
	IMAGE_MAX_MB       => array( 1, 100 ),
	IMAGE_MAX_MP       => array( 1, 400 ),
	DAILY_POST_CAP     => array( 0, 1000 ),
);

/** The settings form's "clear" check boxes post their option names in this field. */
const CLEAR_FIELD = 'atai_clear_secret';

/**
 * Each option's REST name, type and default.
 *
 * @since 0.1.0
 *
 * @return array<string, array{rest: string, type: string, default: mixed}>
 */
function definitions(): array {
	return array(
		WORKER_URL         => array(
			'rest'    => 'worker_url',
			'type'    => 'string',
			'default' => DEFAULT_WORKER_URL,
		),
		WORKER_SECRET      => array(
			'rest'    => 'worker_secret',
			'type'    => 'string',
			'default' => '',
		),
		AI_ENABLED         => array(
			'rest'    => 'ai_enabled',
			'type'    => 'boolean',
			'default' => true,
		),
		AI_BASE_URL        => array(
			'rest'    => 'ai_base_url',
			'type'    => 'string',
			'default' => '',
		),
		AI_API_KEY         => array(
			'rest'    => 'ai_api_key',
			'type'    => 'string',
			'default' => '',
		),
		AI_MODEL           => array(
			'rest'    => 'ai_model',
			'type'    => 'string',
			'default' => '',
		),
		AI_MAX_IN_FLIGHT   => array(
			'rest'    => 'ai_max_in_flight',
			'type'    => 'integer',
			'default' => 8,
		),
		DEDUPE_THRESHOLD   => array(
			'rest'    => 'dedupe_threshold',
			'type'    => 'integer',
			'default' => 45,
		),
		DEDUPE_WINDOW_DAYS => array(
			'rest'    => 'dedupe_window_days',
			'type'    => 'integer',
			'default' => 30,
		),
		HEALTH_DIGEST      => array(
			'rest'    => 'health_digest',
			'type'    => 'boolean',
			'default' => false,
		),
		IMAGE_MAX_MB       => array(
			'rest'    => 'image_max_mb',
			'type'    => 'integer',
			'default' => 10,
		),
		IMAGE_MAX_MP       => array(
			'rest'    => 'image_max_megapixels',
			'type'    => 'integer',
			'default' => 25,
		),
		DAILY_POST_CAP     => array(
			'rest'    => 'daily_post_cap',
			'type'    => 'integer',
			'default' => 0,
		),
		AI_CHECK_MODEL     => array(
			'rest'    => 'ai_check_model',
			'type'    => 'string',
			'default' => '',
		),
		AI_TOPIC           => array(
			'rest'    => 'ai_topic',
			'type'    => 'string',
			'default' => '',
		),
		AI_PRICES          => array(
			'rest'    => 'ai_prices',
			'type'    => 'string',
			'default' => \ATAI\Costs\default_prices_text(),
		),
		AI_BUDGET          => array(
			'rest'    => 'ai_monthly_budget',
			'type'    => 'number',
			'default' => 0,
		),
	);
}

/**
 * A human label for an option, used in messages.
 *
 * @since 0.1.0
 */
function label( string $option ): string {
	switch ( $option ) {
		case WORKER_URL:
			return __( 'Worker URL', 'automationtools-ai' );
		case WORKER_SECRET:
			return __( 'Shared secret', 'automationtools-ai' );
		case AI_ENABLED:
			return __( 'AI rewriting', 'automationtools-ai' );
		case AI_BASE_URL:
			return __( 'AI base URL', 'automationtools-ai' );
		case AI_API_KEY:
			return __( 'AI API key', 'automationtools-ai' );
		case AI_MODEL:
			return __( 'Model', 'automationtools-ai' );
		case AI_MAX_IN_FLIGHT:
			return __( 'Parallel AI requests', 'automationtools-ai' );
		case DEDUPE_THRESHOLD:
			return __( 'Same story from', 'automationtools-ai' );
		case DEDUPE_WINDOW_DAYS:
			return __( 'Look for the same story within', 'automationtools-ai' );
		case HEALTH_DIGEST:
			return __( 'Daily problem e-mail', 'automationtools-ai' );
		case IMAGE_MAX_MB:
			return __( 'Largest image (MB)', 'automationtools-ai' );
		case IMAGE_MAX_MP:
			return __( 'Largest image (megapixels)', 'automationtools-ai' );
		case DAILY_POST_CAP:
			return __( 'Posts a day, all feeds', 'automationtools-ai' );
		case AI_CHECK_MODEL:
			return __( 'Model for checks', 'automationtools-ai' );
		case AI_TOPIC:
			return __( 'Site topic', 'automationtools-ai' );
		case AI_PRICES:
			return __( 'Model prices', 'automationtools-ai' );
		case AI_BUDGET:
			return __( 'Monthly AI budget', 'automationtools-ai' );
	}
	return $option;
}

/**
 * Clean one option value, or say in words why it cannot be used.
 *
 * The same function runs when a value is saved (form or REST) and when it is read back.
 *
 * @since 0.1.0
 *
 * @param string $option Option key.
 * @param mixed  $value  Raw value.
 * @return mixed|WP_Error The clean value.
 */
function clean( string $option, $value ) {
	switch ( $option ) {
		case WORKER_URL:
			$url = clean_url( $value );
			if ( '' === $url ) {
				return invalid( $option, __( 'enter the worker\'s address, starting with http:// or https://, for example http://127.0.0.1:8090.', 'automationtools-ai' ) );
			}
			return $url;

		case AI_BASE_URL:
			if ( null === $value || '' === trim( (string) ( is_scalar( $value ) ? $value : '' ) ) ) {
				return '';
			}
			$url = clean_url( $value );
			if ( '' === $url ) {
				return invalid( $option, __( 'enter an address starting with http:// or https://, for example https://api.openai.com/v1, or leave it empty to use the worker\'s own setting.', 'automationtools-ai' ) );
			}
			return $url;

		case WORKER_SECRET:
		case AI_API_KEY:
			if ( ! is_scalar( $value ) ) {
				return '';
			}
			// Secrets are pasted: drop the surrounding blanks and any control characters a paste carried.
			$secret = trim( preg_replace( '/[\x00-\x1F\x7F]/', '', (string) $value ) );
			if ( strlen( $secret ) > 4096 ) {
				return invalid( $option, __( 'it is longer than 4096 characters.', 'automationtools-ai' ) );
			}
			return $secret;

		case AI_ENABLED:
		case HEALTH_DIGEST:
			return rest_sanitize_boolean( is_scalar( $value ) ? $value : false );

		case AI_TOPIC:
			$topic = is_scalar( $value ) ? sanitize_text_field( (string) $value ) : '';
			if ( mb_strlen( $topic ) > TOPIC_MAX ) {
				/* translators: %d: number of characters. */
				return invalid( $option, sprintf( __( 'write at most %d characters.', 'automationtools-ai' ), TOPIC_MAX ) );
			}
			return $topic;

		case AI_PRICES:
			$prices = \ATAI\Costs\parse_prices( is_scalar( $value ) ? (string) $value : '' );
			return is_wp_error( $prices ) ? invalid( $option, $prices->get_error_message() ) : \ATAI\Costs\prices_text( $prices );

		case AI_BUDGET:
			if ( is_string( $value ) ) {
				$value = trim( str_replace( array( '$', ',' ), array( '', '.' ), $value ) );
			}
			if ( '' === $value || null === $value ) {
				return 0;
			}
			if ( ! is_numeric( $value ) || (float) $value < 0 || (float) $value > BUDGET_MAX ) {
				/* translators: %d: largest budget. */
				return invalid( $option, sprintf( __( 'enter an amount in dollars from 0 (no limit) to %d.', 'automationtools-ai' ), BUDGET_MAX ) );
			}
			return round( (float) $value, 2 );

		case AI_CHECK_MODEL:
		case AI_MODEL:
			$model = is_scalar( $value ) ? sanitize_text_field( (string) $value ) : '';
			if ( strlen( $model ) > 200 ) {
				return invalid( $option, __( 'a model name has at most 200 characters.', 'automationtools-ai' ) );
			}
			return $model;

		case AI_MAX_IN_FLIGHT:
		case DEDUPE_THRESHOLD:
		case DEDUPE_WINDOW_DAYS:
		case IMAGE_MAX_MB:
		case IMAGE_MAX_MP:
		case DAILY_POST_CAP:
			if ( ! is_numeric( $value ) || (int) $value != $value ) { // phpcs:ignore Universal.Operators.StrictComparisons -- "8" and 8 are the same number here.
				return invalid( $option, __( 'enter a whole number.', 'automationtools-ai' ) );
			}
			$number = (int) $value;
			list( $min, $max ) = NUMBER_RANGES[ $option ];
			if ( $number < $min || $number > $max ) {
				/* translators: 1: smallest allowed number, 2: largest allowed number. */
				return invalid( $option, sprintf( __( 'enter a number from %1$d to %2$d.', 'automationtools-ai' ), $min, $max ) );
			}
			return $number;
	}
	return $value;
}

/**
 * An http(s) URL without trailing slash, or '' when the value is not one.
 *
 * @since 0.1.0
 *
 * @param mixed $value Raw value.
 */
function clean_url( $value ): string {
	if ( ! is_string( $value ) ) {
		return '';
	}
	$value = trim( $value );
	if ( strlen( $value ) > 2048 || preg_match( '/\s/', $value ) ) {
		return '';
	}
	$parts = wp_parse_url( $value );
	if ( ! is_array( $parts ) || empty( $parts['host'] ) || ! in_array( strtolower( $parts['scheme'] ?? '' ), array( 'http', 'https' ), true ) ) {
		return '';
	}
	return untrailingslashit( esc_url_raw( $value, array( 'http', 'https' ) ) );
}

/**
 * The error for a value that cannot be saved; the message names the field.
 *
 * @since 0.1.0
 */
function invalid( string $option, string $reason ): WP_Error {
	return new WP_Error(
		'atai_invalid_setting',
		/* translators: 1: field name, e.g. "Worker URL", 2: what is wrong with the value. */
		sprintf( __( '%1$s: %2$s', 'automationtools-ai' ), label( $option ), $reason ),
		array(
			'status' => 400,
			'field'  => definitions()[ $option ]['rest'],
		)
	);
}

/**
 * The value in use: the wp-config.php constant if defined, else the saved option, cleaned.
 *
 * @since 0.1.0
 *
 * @return mixed
 */
function get( string $option ) {
	$default = definitions()[ $option ]['default'];
	if ( 'constant' === source( $option ) ) {
		$value = constant( CONSTANT_OVERRIDES[ $option ] );
	} else {
		$value = get_option( $option, $default );
	}
	$value = clean( $option, $value );
	return is_wp_error( $value ) ? $default : $value;
}

/**
 * Where a value comes from: 'constant' (wp-config.php) or 'option'.
 *
 * @since 0.1.0
 */
function source( string $option ): string {
	return isset( CONSTANT_OVERRIDES[ $option ] ) && defined( CONSTANT_OVERRIDES[ $option ] ) ? 'constant' : 'option';
}

/**
 * Whether the saved worker URL may not be changed here: the shared secret comes from wp-config.php.
 *
 * Every request to the worker carries the secret, so whoever could change the URL could send a secret
 * they were never shown to an address of their choosing. The URL then changes where the secret is set.
 *
 * @since 0.1.0
 */
function worker_url_locked(): bool {
	return 'constant' === source( WORKER_SECRET ) && 'constant' !== source( WORKER_URL );
}

/**
 * Why the worker URL cannot be changed here, in words (see worker_url_locked()).
 *
 * @since 0.1.0
 */
function worker_url_lock_reason(): string {
	return sprintf(
		/* translators: 1: PHP constant of the shared secret, 2: PHP constant of the worker URL. */
		__( 'the shared secret is set by %1$s in wp-config.php, so the worker URL can only be changed there too (%2$s): an address typed here would receive that secret.', 'automationtools-ai' ),
		CONSTANT_OVERRIDES[ WORKER_SECRET ],
		CONSTANT_OVERRIDES[ WORKER_URL ]
	);
}

/**
 * The URL the worker calls when a run is finished.
 *
 * @since 0.1.0
 */
function callback_url(): string {
	if ( defined( CALLBACK_URL_CONSTANT ) ) {
		$url = clean_url( constant( CALLBACK_URL_CONSTANT ) );
		if ( '' !== $url ) {
			return $url;
		}
	}
	return rest_url( \ATAI\REST\NAMESPACE_V1 . '/' . \ATAI\REST\ROUTE_CALLBACK );
}

/**
 * A masked hint of a secret, such as "…abcd"; short secrets show nothing of themselves.
 *
 * @since 0.1.0
 */
function mask( string $secret ): string {
	if ( '' === $secret ) {
		return '';
	}
	return strlen( $secret ) >= 12 ? '…' . substr( $secret, -4 ) : '…';
}

/**
 * Register the options with the Settings API (used by options.php and get_option defaults).
 *
 * @since 0.1.0
 */
function register(): void {
	foreach ( definitions() as $option => $definition ) {
		$args = array(
			'type'              => $definition['type'],
			'sanitize_callback' => static function ( $value ) use ( $option ) {
				return sanitize_on_save( $option, $value );
			},
			// Our own REST route exposes settings; secrets must never reach wp/v2/settings.
			'show_in_rest'      => false,
		);
		// A registered default equal to the stored value makes update_option() re-add the row with
		// autoload on (WordPress 6.1); secrets keep autoload off, so they register none (get() applies it).
		if ( ! in_array( $option, SECRETS, true ) ) {
			$args['default'] = $definition['default'];
		}
		register_setting( GROUP, $option, $args );
	}
}

/**
 * Settings API sanitizer: a value that cannot be used keeps the saved one and shows why.
 *
 * @since 0.1.0
 *
 * @param string $option Option key.
 * @param mixed  $value  Submitted value.
 * @return mixed
 */
function sanitize_on_save( string $option, $value ) {
	// wp-config.php sets it: the form shows the field disabled and posts nothing for it.
	if ( 'constant' === source( $option ) ) {
		return get_option( $option, definitions()[ $option ]['default'] );
	}
	if ( WORKER_URL === $option && worker_url_locked() ) {
		$saved = get_option( $option, definitions()[ $option ]['default'] );
		if ( null !== $value && clean( $option, $value ) !== $saved && function_exists( 'add_settings_error' ) ) {
			add_settings_error( $option, 'atai_setting_locked', invalid( $option, worker_url_lock_reason() )->get_error_message() );
		}
		return $saved;
	}
	$clean = clean( $option, $value );
	if ( ! is_wp_error( $clean ) ) {
		return $clean;
	}
	if ( function_exists( 'add_settings_error' ) ) {
		add_settings_error( $option, $clean->get_error_code(), $clean->get_error_message() );
	}
	return get_option( $option, definitions()[ $option ]['default'] );
}

/**
 * On the settings form an empty password field means "keep the saved secret" unless its clear box is ticked.
 *
 * Only the form posted through options.php is affected; REST and code can still set ''.
 *
 * @since 0.1.0
 *
 * @param mixed  $value     New value (already sanitized).
 * @param mixed  $old_value Saved value.
 * @param string $option    Option key.
 * @return mixed
 */
function keep_secret_unless_replaced( $value, $old_value, $option ) {
	// phpcs:disable WordPress.Security.NonceVerification.Missing -- options.php checked the nonce before saving.
	$from_form = isset( $_POST['option_page'] ) && GROUP === $_POST['option_page'];
	if ( ! $from_form || ( is_string( $value ) && '' !== $value ) ) {
		return $value;
	}
	$clear = isset( $_POST[ CLEAR_FIELD ] ) && in_array( $option, (array) wp_unslash( $_POST[ CLEAR_FIELD ] ), true );
	// phpcs:enable
	return $clear ? '' : $old_value;
}

/**
 * Make sure the secret options exist with autoload off, so later updates keep it off.
 *
 * @since 0.1.0
 */
function add_secret_rows(): void {
	foreach ( SECRETS as $option ) {
		add_option( $option, '', '', false );
	}
}
