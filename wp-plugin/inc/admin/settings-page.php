<?php
/**
 * The settings screen (Settings API, saved through options.php) with the "Test connection" button.
 *
 * @package automationtools-ai
 */

namespace ATAI\Admin\Settings_Page;

use ATAI\Admin\Feeds_Page;
use ATAI\Settings;

const SLUG = 'atai-settings';

/**
 * Add the Settings submenu.
 *
 * @since 0.1.0
 */
function add_menu(): void {
	add_submenu_page(
		Feeds_Page\SLUG,
		__( 'AutomationTools.AI settings', 'automationtools-ai' ),
		__( 'Settings', 'automationtools-ai' ),
		'manage_options',
		SLUG,
		__NAMESPACE__ . '\\render'
	);
}

/**
 * A "Settings" link on the Plugins screen.
 *
 * @since 0.1.0
 *
 * @param string[] $links Action links.
 * @return string[]
 */
function add_action_link( $links ) {
	$url = add_query_arg( 'page', SLUG, admin_url( 'admin.php' ) );
	array_unshift( $links, '<a href="' . esc_url( $url ) . '">' . esc_html__( 'Settings', 'automationtools-ai' ) . '</a>' );
	return $links;
}

/**
 * Register the sections and fields.
 *
 * @since 0.1.0
 */
function register_fields(): void {
	add_settings_section(
		'atai_worker',
		__( 'Worker', 'automationtools-ai' ),
		__NAMESPACE__ . '\\render_worker_intro',
		SLUG
	);
	add_settings_field( Settings\WORKER_URL, Settings\label( Settings\WORKER_URL ), __NAMESPACE__ . '\\render_text_field', SLUG, 'atai_worker', field_args( Settings\WORKER_URL, 'url', __( 'Where WordPress reaches the worker service, for example http://127.0.0.1:8090.', 'automationtools-ai' ) ) );
	add_settings_field( Settings\WORKER_SECRET, Settings\label( Settings\WORKER_SECRET ), __NAMESPACE__ . '\\render_secret_field', SLUG, 'atai_worker', field_args( Settings\WORKER_SECRET, 'password', __( 'The same value as the worker\'s ATAI_WORKER_SECRET.', 'automationtools-ai' ) ) );
	add_settings_field( 'atai_connection', __( 'Connection', 'automationtools-ai' ), __NAMESPACE__ . '\\render_test_button', SLUG, 'atai_worker' );

	add_settings_section(
		'atai_ai',
		__( 'AI rewriting', 'automationtools-ai' ),
		__NAMESPACE__ . '\\render_ai_intro',
		SLUG
	);
	add_settings_field( Settings\AI_ENABLED, Settings\label( Settings\AI_ENABLED ), __NAMESPACE__ . '\\render_checkbox_field', SLUG, 'atai_ai', field_args( Settings\AI_ENABLED, 'checkbox', __( 'Rewrite articles with the AI model. When off, or when no endpoint is configured anywhere, posts are the cleaned original text.', 'automationtools-ai' ) ) );
	add_settings_field( Settings\AI_BASE_URL, Settings\label( Settings\AI_BASE_URL ), __NAMESPACE__ . '\\render_text_field', SLUG, 'atai_ai', field_args( Settings\AI_BASE_URL, 'url', __( 'Any OpenAI-compatible endpoint (OpenAI, Azure, Ollama, vLLM, LM Studio, OpenRouter). Empty: the worker\'s OPENAI_BASE_URL.', 'automationtools-ai' ) ) );
	add_settings_field( Settings\AI_API_KEY, Settings\label( Settings\AI_API_KEY ), __NAMESPACE__ . '\\render_secret_field', SLUG, 'atai_ai', field_args( Settings\AI_API_KEY, 'password', __( 'Empty: the worker\'s OPENAI_API_KEY.', 'automationtools-ai' ) ) );
	add_settings_field( Settings\AI_MODEL, Settings\label( Settings\AI_MODEL ), __NAMESPACE__ . '\\render_text_field', SLUG, 'atai_ai', field_args( Settings\AI_MODEL, 'text', __( 'Empty: the worker\'s default model.', 'automationtools-ai' ) ) );
	add_settings_field( Settings\AI_MAX_IN_FLIGHT, Settings\label( Settings\AI_MAX_IN_FLIGHT ), __NAMESPACE__ . '\\render_number_field', SLUG, 'atai_ai', field_args( Settings\AI_MAX_IN_FLIGHT, 'number', __( 'How many articles the worker sends to the model at once (1 to 64).', 'automationtools-ai' ) ) );
	add_settings_field( 'atai_ai_test', __( 'AI endpoint', 'automationtools-ai' ), __NAMESPACE__ . '\\render_ai_test_button', SLUG, 'atai_ai' );
	add_settings_field( Settings\AI_CHECK_MODEL, Settings\label( Settings\AI_CHECK_MODEL ), __NAMESPACE__ . '\\render_text_field', SLUG, 'atai_ai', field_args( Settings\AI_CHECK_MODEL, 'text', __( 'A cheaper model on the same endpoint for the relevance pass and the second opinion. Empty: the model above.', 'automationtools-ai' ) ) );
	add_settings_field( Settings\AI_TOPIC, Settings\label( Settings\AI_TOPIC ), __NAMESPACE__ . '\\render_text_field', SLUG, 'atai_ai', field_args( Settings\AI_TOPIC, 'text', __( 'What the site is about, in one sentence. Feeds with Relevance on skip entries that do not fit it.', 'automationtools-ai' ) ) );

	add_settings_section( 'atai_costs', __( 'Costs', 'automationtools-ai' ), 'ATAI\\Admin\\Costs\\render_summary', SLUG );
	add_settings_field( Settings\AI_BUDGET, Settings\label( Settings\AI_BUDGET ), __NAMESPACE__ . '\\render_budget_field', SLUG, 'atai_costs', field_args( Settings\AI_BUDGET, 'number', __( 'Dollars per month; 0 for no limit. When this month\'s AI costs reach it, no feed is sent for rewriting until the budget is raised or the month ends; entries wait in their feeds and nothing is posted without its rewrite.', 'automationtools-ai' ) ) );
	add_settings_field( Settings\AI_PRICES, Settings\label( Settings\AI_PRICES ), __NAMESPACE__ . '\\render_prices_field', SLUG, 'atai_costs', field_args( Settings\AI_PRICES, 'textarea', __( 'One model a line: its name, then dollars per million input tokens and per million output tokens. A dated version (gpt-4o-mini-2024-07-18) takes the price of its name. The defaults are OpenAI\'s standard prices as published in August 2025; models without a price (local models) cost nothing here.', 'automationtools-ai' ) ) );

	add_settings_section( 'atai_dedupe', __( 'Duplicates', 'automationtools-ai' ), '__return_false', SLUG );
	add_settings_field( Settings\DEDUPE_THRESHOLD, Settings\label( Settings\DEDUPE_THRESHOLD ), __NAMESPACE__ . '\\render_number_field', SLUG, 'atai_dedupe', field_args( Settings\DEDUPE_THRESHOLD, 'number', __( 'Per cent of similar text (30 to 100; 45 by default). An item whose article address or text is the same as a post\'s is always the same story; one whose text is at least this similar to a post\'s is taken for an edited copy of it and skipped. The feed\'s items list says which post it matched, and "Import anyway" posts it.', 'automationtools-ai' ) ) );
	add_settings_field( Settings\DEDUPE_WINDOW_DAYS, Settings\label( Settings\DEDUPE_WINDOW_DAYS ), __NAMESPACE__ . '\\render_number_field', SLUG, 'atai_dedupe', field_args( Settings\DEDUPE_WINDOW_DAYS, 'number', __( 'Days (1 to 365; 30 by default): similar texts are compared with the posts of this many days.', 'automationtools-ai' ) ) );

	add_settings_section( 'atai_health', __( 'Feed health', 'automationtools-ai' ), '__return_null', SLUG );
	add_settings_field( Settings\HEALTH_DIGEST, Settings\label( Settings\HEALTH_DIGEST ), __NAMESPACE__ . '\\render_checkbox_field', SLUG, 'atai_health', field_args( Settings\HEALTH_DIGEST, 'checkbox', __( 'Once a day, e-mail the site\'s admin address the feeds that fail, are gone or stopped running. Nothing is sent on a day without problems; every admin screen shows them anyway.', 'automationtools-ai' ) ) );

	add_settings_section( 'atai_posts', __( 'Images and publishing pace', 'automationtools-ai' ), '__return_false', SLUG );
	add_settings_field( Settings\IMAGE_MAX_MB, Settings\label( Settings\IMAGE_MAX_MB ), __NAMESPACE__ . '\\render_number_field', SLUG, 'atai_posts', field_args( Settings\IMAGE_MAX_MB, 'number', __( 'Larger images are not copied; the post is made without them, with the reason on its item.', 'automationtools-ai' ) ) );
	add_settings_field( Settings\IMAGE_MAX_MP, Settings\label( Settings\IMAGE_MAX_MP ), __NAMESPACE__ . '\\render_number_field', SLUG, 'atai_posts', field_args( Settings\IMAGE_MAX_MP, 'number', __( 'Width times height, in millions of pixels. Each image is checked before your server decodes it.', 'automationtools-ai' ) ) );
	add_settings_field( Settings\DAILY_POST_CAP, Settings\label( Settings\DAILY_POST_CAP ), __NAMESPACE__ . '\\render_number_field', SLUG, 'atai_posts', field_args( Settings\DAILY_POST_CAP, 'number', __( 'At most this many imported posts are published a day; the others are scheduled for the next days. 0: no limit. Each feed may have its own limit too.', 'automationtools-ai' ) ) );
}

/**
 * The "Test AI endpoint" button: one real call with the saved key and model, and the endpoint's models.
 *
 * @since 0.2.0
 */
function render_ai_test_button(): void {
	echo '<button type="button" class="button" id="atai-test-ai">' . esc_html__( 'Test AI endpoint', 'automationtools-ai' ) . '</button> ';
	echo '<span id="atai-ai-result" class="atai-connection-result" role="status" aria-live="polite"></span>';
	echo '<p class="description">' . esc_html__( 'Makes one small real call with the saved key and model (a few tokens), and lists the models the endpoint offers under the Model field. Save first if you changed them.', 'automationtools-ai' ) . '</p>';
}

/**
 * The monthly budget, in dollars.
 *
 * @since 0.2.0
 *
 * @param array{option: string, input: string, help: string} $args Field arguments.
 */
function render_budget_field( array $args ): void {
	printf(
		'$ <input type="number" id="%1$s" name="%1$s" value="%2$s" min="0" max="%3$d" step="0.01" class="small-text" />',
		esc_attr( $args['option'] ),
		esc_attr( (string) Settings\get( $args['option'] ) ),
		(int) Settings\BUDGET_MAX
	);
	echo '<p class="description">' . esc_html( $args['help'] ) . '</p>';
}

/**
 * The prices per model.
 *
 * @since 0.2.0
 *
 * @param array{option: string, input: string, help: string} $args Field arguments.
 */
function render_prices_field( array $args ): void {
	printf(
		'<textarea id="%1$s" name="%1$s" rows="8" cols="50" class="large-text code">%2$s</textarea>',
		esc_attr( $args['option'] ),
		esc_textarea( (string) Settings\get( $args['option'] ) )
	);
	echo '<p class="description">' . esc_html( $args['help'] ) . '</p>';
}

/**
 * Arguments passed to a field's render callback.
 *
 * @since 0.1.0
 *
 * @return array{option: string, input: string, help: string, label_for: string}
 */
function field_args( string $option, string $input, string $help ): array {
	return array(
		'option'    => $option,
		'input'     => $input,
		'help'      => $help,
		'label_for' => $option,
	);
}

/**
 * Introduction of the worker section.
 *
 * @since 0.1.0
 */
function render_worker_intro(): void {
	echo '<p>' . esc_html__( 'The worker is the service that fetches feeds, extracts and rewrites articles, and hands back drafts that become posts here.', 'automationtools-ai' ) . '</p>';
}

/**
 * Introduction of the AI section.
 *
 * @since 0.1.0
 */
function render_ai_intro(): void {
	echo '<p>' . esc_html__( 'Fields left empty use the worker\'s own environment; values set here win.', 'automationtools-ai' ) . '</p>';
}

/**
 * The note shown instead of an editable field when wp-config.php sets the value.
 *
 * @since 0.1.0
 */
function constant_note( string $option ): string {
	return sprintf(
		/* translators: %s: PHP constant name. */
		esc_html__( 'Set in wp-config.php (%s); change it there.', 'automationtools-ai' ),
		'<code>' . esc_html( Settings\CONSTANT_OVERRIDES[ $option ] ) . '</code>'
	);
}

/**
 * A text or URL field.
 *
 * @since 0.1.0
 *
 * @param array{option: string, input: string, help: string} $args Field arguments.
 */
function render_text_field( array $args ): void {
	$option   = $args['option'];
	$constant = 'constant' === Settings\source( $option );
	$locked   = Settings\WORKER_URL === $option && Settings\worker_url_locked();
	// The model fields offer the endpoint's models, listed by the "Test AI endpoint" button.
	$list = in_array( $option, array( Settings\AI_MODEL, Settings\AI_CHECK_MODEL ), true ) ? ' list="atai-models"' : '';
	printf(
		'<input type="%1$s" id="%2$s" name="%2$s" value="%3$s" class="%4$s"%5$s %6$s />',
		esc_attr( $args['input'] ),
		esc_attr( $option ),
		esc_attr( (string) Settings\get( $option ) ),
		Settings\AI_TOPIC === $option ? 'large-text' : 'regular-text code',
		$list, // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- a fixed attribute.
		disabled( $constant || $locked, true, false )
	);
	if ( Settings\AI_MODEL === $option ) {
		echo '<datalist id="atai-models"></datalist>';
	}
	if ( $locked ) {
		$note = sprintf(
			/* translators: 1: PHP constant of the shared secret, 2: PHP constant of the worker URL. */
			esc_html__( 'The shared secret is set in wp-config.php (%1$s), so this address can only be changed there too: define %2$s. An address typed here would receive that secret.', 'automationtools-ai' ),
			'<code>' . esc_html( Settings\CONSTANT_OVERRIDES[ Settings\WORKER_SECRET ] ) . '</code>',
			'<code>' . esc_html( Settings\CONSTANT_OVERRIDES[ Settings\WORKER_URL ] ) . '</code>'
		);
		echo '<p class="description">' . $note . '</p>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped parts.
		return;
	}
	echo '<p class="description">' . ( $constant ? constant_note( $option ) : esc_html( $args['help'] ) ) . '</p>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- constant_note() escapes.
}

/**
 * A number field.
 *
 * @since 0.1.0
 *
 * @param array{option: string, input: string, help: string} $args Field arguments.
 */
function render_number_field( array $args ): void {
	printf(
		'<input type="number" id="%1$s" name="%1$s" value="%2$d" min="%3$d" max="%4$d" class="small-text" />',
		esc_attr( $args['option'] ),
		(int) Settings\get( $args['option'] ),
		(int) Settings\NUMBER_RANGES[ $args['option'] ][0],
		(int) Settings\NUMBER_RANGES[ $args['option'] ][1]
	);
	echo '<p class="description">' . esc_html( $args['help'] ) . '</p>';
}

/**
 * A check box.
 *
 * @since 0.1.0
 *
 * @param array{option: string, input: string, help: string} $args Field arguments.
 */
function render_checkbox_field( array $args ): void {
	printf(
		'<label><input type="checkbox" id="%1$s" name="%1$s" value="1" %2$s /> %3$s</label>',
		esc_attr( $args['option'] ),
		checked( (bool) Settings\get( $args['option'] ), true, false ),
		esc_html( $args['help'] )
	);
}

/**
 * A secret: an empty password field keeps the saved value; a check box clears it. Never prints the secret.
 *
 * @since 0.1.0
 *
 * @param array{option: string, input: string, help: string} $args Field arguments.
 */
function render_secret_field( array $args ): void {
	$option = $args['option'];
	if ( 'constant' === Settings\source( $option ) ) {
		echo '<input type="password" id="' . esc_attr( $option ) . '" value="" class="regular-text" disabled placeholder="' . esc_attr__( 'Set in wp-config.php', 'automationtools-ai' ) . '" />';
		echo '<p class="description">' . constant_note( $option ) . '</p>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- constant_note() escapes.
		return;
	}
	$saved       = Settings\get( $option );
	$placeholder = '' === $saved
		? __( 'Not set', 'automationtools-ai' )
		/* translators: %s: masked hint of the saved secret, such as "…abcd". */
		: sprintf( __( 'Saved (%s); leave empty to keep it', 'automationtools-ai' ), Settings\mask( $saved ) );
	printf(
		'<input type="password" id="%1$s" name="%1$s" value="" class="regular-text" autocomplete="new-password" spellcheck="false" placeholder="%2$s" />',
		esc_attr( $option ),
		esc_attr( $placeholder )
	);
	if ( '' !== $saved ) {
		printf(
			' <label><input type="checkbox" name="%1$s[]" value="%2$s" /> %3$s</label>',
			esc_attr( Settings\CLEAR_FIELD ),
			esc_attr( $option ),
			esc_html__( 'Clear the saved value', 'automationtools-ai' )
		);
	}
	echo '<p class="description">' . esc_html( $args['help'] ) . '</p>';
}

/**
 * The "Test connection" button and the place its answer appears.
 *
 * @since 0.1.0
 */
function render_test_button(): void {
	echo '<button type="button" class="button" id="atai-test-connection">' . esc_html__( 'Test connection', 'automationtools-ai' ) . '</button> ';
	echo '<span id="atai-connection-result" class="atai-connection-result" role="status" aria-live="polite"></span>';
	echo '<p class="description">' . esc_html__( 'Tests the saved settings: save first if you changed them.', 'automationtools-ai' ) . '</p>';
}

/**
 * The settings screen.
 *
 * @since 0.1.0
 */
function render(): void {
	if ( ! current_user_can( 'manage_options' ) ) {
		wp_die( esc_html__( 'Only administrators can change these settings.', 'automationtools-ai' ), 403 );
	}
	echo '<div class="wrap atai-wrap">';
	echo '<h1>' . esc_html__( 'AutomationTools.AI settings', 'automationtools-ai' ) . '</h1>';
	settings_errors();
	echo '<form action="options.php" method="post">';
	settings_fields( Settings\GROUP );
	do_settings_sections( SLUG );
	submit_button();
	echo '</form></div>';
}
