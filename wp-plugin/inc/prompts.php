<?php
/**
 * Prompts and models per feed: the feed options that choose what the model is asked (a preset or the feed's
 * own template, tone, length, language, keywords), which model and endpoint answer, what happens to long
 * articles and failed rewrites, the relevance pass and the second opinion; and the run request's AI
 * settings, the site's defaults with the feed's overrides.
 *
 * The presets themselves live in the worker (worker/src/atai_worker/prompts.py), each with a version that
 * every post records.
 *
 * @package automationtools-ai
 */

namespace ATAI\Prompts;

use ATAI\Feed;
use ATAI\Settings;

/** The worker's stand-in key for an endpoint that needs none; a feed's own endpoint never gets the site's key. */
const KEYLESS = 'no-key-needed';

/**
 * The presets, by the worker's names.
 *
 * @since 0.2.0
 *
 * @return array<string, string>
 */
function presets(): array {
	return array(
		'rewrite'   => __( 'Rewrite in its own words', 'automationtools-ai' ),
		'summarize' => __( 'Summarize', 'automationtools-ai' ),
		'translate' => __( 'Translate', 'automationtools-ai' ),
		'expand'    => __( 'Expand with context', 'automationtools-ai' ),
		'listicle'  => __( 'List of key points', 'automationtools-ai' ),
	);
}

/**
 * The feed options of this feature.
 *
 * @since 0.2.0
 *
 * @return array<string, array<string, mixed>>
 */
function feed_options(): array {
	return array(
		'preset'              => array(
			'group'   => 'ai',
			'type'    => 'enum',
			'default' => 'rewrite',
			'choices' => presets(),
			'label'   => __( 'Preset', 'automationtools-ai' ),
			'help'    => __( 'What the model does with each article. Every post records the preset and its version.', 'automationtools-ai' ),
			'worker'  => true,
		),
		'tone'                => array(
			'group'      => 'ai',
			'type'       => 'string',
			'default'    => '',
			'max_length' => 100,
			'label'      => __( 'Tone', 'automationtools-ai' ),
			'help'       => __( 'How the text should sound, in a few words, for example "friendly" or "formal". Empty: the preset\'s.', 'automationtools-ai' ),
			'worker'     => true,
		),
		'target_length'       => array(
			'group'   => 'ai',
			'type'    => 'integer',
			'default' => 0,
			'minimum' => 0,
			'maximum' => 5000,
			'label'   => __( 'Target length (words)', 'automationtools-ai' ),
			'help'    => __( '0: the preset decides (about as long as the article; a summary about a third).', 'automationtools-ai' ),
			'worker'  => true,
		),
		'target_language'     => array(
			'group'      => 'ai',
			'type'       => 'string',
			'default'    => '',
			'max_length' => 60,
			'label'      => __( 'Language', 'automationtools-ai' ),
			'help'       => __( 'The language to write in, for example "German". Empty: the article\'s own (Translate: English).', 'automationtools-ai' ),
			'worker'     => true,
		),
		'prompt_keywords'     => array(
			'group'      => 'ai',
			'type'       => 'list',
			'default'    => array(),
			'max_items'  => 20,
			'max_length' => 60,
			'label'      => __( 'Keywords', 'automationtools-ai' ),
			'help'       => __( 'One a line: words the posts should use where the article supports them ({keywords} in a template).', 'automationtools-ai' ),
			'worker'     => true,
		),
		'prompt_template'     => array(
			'group'      => 'ai',
			'type'       => 'text',
			'default'    => '',
			'max_length' => 4000,
			'label'      => __( 'Prompt template', 'automationtools-ai' ),
			'help'       => __( 'Your own instructions instead of the preset\'s. {title}, {content}, {source_name} and {source_url} point the model at the article, which is always sent separately as data; {language} and {keywords} are replaced by the settings above. The rules that keep facts and fence the article are always added.', 'automationtools-ai' ),
			'worker'     => true,
		),
		'custom_instructions' => array(
			'group'      => 'ai',
			'type'       => 'text',
			'default'    => '',
			'max_length' => 2000,
			'label'      => __( 'More instructions', 'automationtools-ai' ),
			'help'       => __( 'Added to the preset\'s instructions, for example "Use British spelling."', 'automationtools-ai' ),
			'worker'     => true,
		),
		'ai_model'            => array(
			'group'      => 'ai',
			'type'       => 'string',
			'default'    => '',
			'max_length' => 200,
			'label'      => __( 'Model', 'automationtools-ai' ),
			'help'       => __( 'Empty: the model in Settings.', 'automationtools-ai' ),
		),
		'ai_base_url'         => array(
			'group'      => 'ai',
			'type'       => 'string',
			'default'    => '',
			'max_length' => 2048,
			'label'      => __( 'Endpoint', 'automationtools-ai' ),
			'help'       => __( 'Empty: the endpoint in Settings. Another endpoint gets no API key (for a local server such as Ollama or vLLM).', 'automationtools-ai' ),
			'check'      => __NAMESPACE__ . '\\check_base_url',
		),
		'long_articles'       => array(
			'group'   => 'ai',
			'type'    => 'enum',
			'default' => 'condense',
			'choices' => array(
				'condense' => __( 'Condense them in parts first', 'automationtools-ai' ),
				'hold'     => __( 'Hold them for review', 'automationtools-ai' ),
			),
			'label'   => __( 'Articles too long for the model', 'automationtools-ai' ),
			'help'    => __( 'An article is never cut mid-sentence.', 'automationtools-ai' ),
			'worker'  => true,
		),
		'on_failure'          => array(
			'group'   => 'ai',
			'type'    => 'enum',
			'default' => 'hold',
			'choices' => array(
				'hold'     => __( 'Hold the original for review', 'automationtools-ai' ),
				'retry'    => __( 'Try again at the next run', 'automationtools-ai' ),
				'original' => __( 'Publish the cleaned original with its source line', 'automationtools-ai' ),
			),
			'label'   => __( 'When the model gives no usable draft', 'automationtools-ai' ),
			'help'    => __( 'After one more try. The post or the item says what happened. An endpoint that cannot be reached is always tried again later.', 'automationtools-ai' ),
			'worker'  => true,
		),
		'relevance'           => array(
			'group'   => 'ai',
			'type'    => 'boolean',
			'default' => false,
			'label'   => __( 'Relevance', 'automationtools-ai' ),
			'box'     => __( 'Skip entries that do not fit the site\'s topic', 'automationtools-ai' ),
			'help'    => __( 'A cheap call scores each entry against the topic in Settings before it is rewritten.', 'automationtools-ai' ),
			'worker'  => true,
		),
		'relevance_threshold' => array(
			'group'   => 'ai',
			'type'    => 'integer',
			'default' => 50,
			'minimum' => 0,
			'maximum' => 100,
			'label'   => __( 'Relevance threshold', 'automationtools-ai' ),
			'help'    => __( 'Entries scoring under it (0 to 100) are skipped, with the score and the reason on the item.', 'automationtools-ai' ),
			'worker'  => true,
		),
		'second_opinion'      => array(
			'group'   => 'ai',
			'type'    => 'boolean',
			'default' => false,
			'label'   => __( 'Second opinion', 'automationtools-ai' ),
			'box'     => __( 'Ask a judge which claims of each draft the source does not support', 'automationtools-ai' ),
			'help'    => __( 'One more call per post (with the model for checks in Settings); its tokens count in the cost. Each claim it lists holds the draft for review.', 'automationtools-ai' ),
			'worker'  => true,
		),
	);
}

/**
 * Why a feed's endpoint cannot be used, or ''.
 *
 * @since 0.2.0
 *
 * @param string $url The clean option value.
 */
function check_base_url( string $url ): string {
	if ( '' === $url || '' !== Settings\clean_url( $url ) ) {
		return '';
	}
	return __( 'enter an address starting with http:// or https://, or leave it empty.', 'automationtools-ai' );
}

/**
 * The site's AI endpoint fields set in WordPress (everything else falls back to the worker's environment).
 *
 * @since 0.2.0
 *
 * @return array<string, mixed> base_url, api_key, model where set.
 */
function site_endpoint(): array {
	$ai     = array();
	$fields = array(
		Settings\AI_BASE_URL => 'base_url',
		Settings\AI_API_KEY  => 'api_key',
		Settings\AI_MODEL    => 'model',
	);
	foreach ( $fields as $option => $field ) {
		$value = Settings\get( $option );
		if ( '' !== $value ) {
			$ai[ $field ] = $value;
		}
	}
	return $ai;
}

/**
 * The RunRequest.ai of a feed: the site's settings with the feed's model and endpoint where it names them.
 *
 * @since 0.2.0
 *
 * @param Feed $feed The feed.
 * @return array<string, mixed>
 */
function run_ai( Feed $feed ): array {
	$ai = array( 'enabled' => (bool) Settings\get( Settings\AI_ENABLED ) ) + site_endpoint();
	if ( null !== get_option( Settings\AI_MAX_IN_FLIGHT, null ) ) {
		$ai['max_in_flight'] = Settings\get( Settings\AI_MAX_IN_FLIGHT );
	}
	$own_url = Settings\clean_url( (string) ( $feed->options['ai_base_url'] ?? '' ) );
	if ( '' !== $own_url && $own_url !== ( $ai['base_url'] ?? '' ) ) {
		// The site's key was given for the site's endpoint: another address must not receive it.
		$ai['base_url'] = $own_url;
		$ai['api_key']  = KEYLESS;
	}
	if ( '' !== (string) ( $feed->options['ai_model'] ?? '' ) ) {
		$ai['model'] = $feed->options['ai_model'];
	}
	foreach ( array(
		Settings\AI_CHECK_MODEL => 'check_model',
		Settings\AI_TOPIC       => 'topic',
	) as $option => $field ) {
		if ( '' !== Settings\get( $option ) ) {
			$ai[ $field ] = Settings\get( $option );
		}
	}
	return $ai;
}
