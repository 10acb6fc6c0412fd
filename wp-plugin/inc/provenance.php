<?php
/**
 * Provenance: what every post made from a draft carries (model, endpoint name, preset and version, tokens,
 * cost, the checks' findings, who approved it), as post meta written with the post, shown in the editor's
 * "AutomationTools.AI" box and in the REST API's edit context to users who can edit the post.
 *
 * @package automationtools-ai
 */

namespace ATAI\Provenance;

use ATAI\Admin\Reviews_Page;
use ATAI\Costs;
use ATAI\Posts;
use ATAI\Reviews;
use WP_Post;

const META_ENDPOINT          = '_atai_endpoint';
const META_PRESET            = '_atai_preset';
const META_PRESET_VERSION    = '_atai_preset_version';
const META_PROMPT_TOKENS     = '_atai_prompt_tokens';
const META_COMPLETION_TOKENS = '_atai_completion_tokens';
const META_COST_MICROS       = '_atai_cost_micros';
const META_HELD              = '_atai_held';
const META_FINDINGS          = '_atai_findings';
const META_RELEVANCE         = '_atai_relevance';

/**
 * Our provenance meta keys and their REST schemas.
 *
 * @since 0.2.0
 *
 * @return array<string, array<string, mixed>>
 */
function meta_schemas(): array {
	$finding = array(
		'type'       => 'object',
		'properties' => array(
			'code'        => array( 'type' => 'string' ),
			'message'     => array( 'type' => 'string' ),
			'hold'        => array( 'type' => 'boolean' ),
			'draft_text'  => array( 'type' => array( 'string', 'null' ) ),
			'source_text' => array( 'type' => array( 'string', 'null' ) ),
		),
	);
	return array(
		META_ENDPOINT                  => array( 'type' => 'string' ),
		META_PRESET                    => array( 'type' => 'string' ),
		META_PRESET_VERSION            => array( 'type' => 'string' ),
		META_PROMPT_TOKENS             => array( 'type' => 'integer' ),
		META_COMPLETION_TOKENS         => array( 'type' => 'integer' ),
		META_COST_MICROS               => array( 'type' => 'integer' ),
		META_HELD                      => array( 'type' => 'boolean' ),
		Reviews\META_APPROVED_BY       => array( 'type' => 'integer' ),
		Reviews\META_APPROVED_AT       => array( 'type' => 'string' ),
		META_FINDINGS                  => array(
			'type'  => 'array',
			'items' => $finding,
		),
		META_RELEVANCE                 => array(
			'type'       => 'object',
			'properties' => array(
				'score'  => array( 'type' => 'integer' ),
				'reason' => array( 'type' => 'string' ),
			),
		),
	);
}

/**
 * Register the meta for the REST API: edit context only, for users who can edit the post.
 *
 * @since 0.2.0
 */
function register_meta(): void {
	foreach ( meta_schemas() as $key => $schema ) {
		register_post_meta(
			'post',
			$key,
			array(
				'type'          => $schema['type'],
				'single'        => true,
				'show_in_rest'  => array( 'schema' => $schema + array( 'context' => array( 'edit' ) ) ),
				'auth_callback' => 'ATAI\\Posts\\can_edit_meta',
			)
		);
	}
}

/**
 * The provenance meta of a new post, as add_meta() writes it (strings; arrays serialized).
 *
 * @since 0.2.0
 *
 * @param array<string, mixed>      $draft  A contract Draft.
 * @param array<string, mixed>|null $priced Costs\price_usage() of its usage.
 * @param bool                      $held   Whether it waits for review.
 * @return array<string, string>
 */
function meta( array $draft, ?array $priced, bool $held ): array {
	$findings = array();
	foreach ( $draft['findings'] as $finding ) {
		$findings[] = array(
			'code'        => (string) $finding['code'],
			'message'     => (string) $finding['message'],
			'hold'        => ! empty( $finding['hold'] ),
			'draft_text'  => isset( $finding['draft_text'] ) ? (string) $finding['draft_text'] : null,
			'source_text' => isset( $finding['source_text'] ) ? (string) $finding['source_text'] : null,
		);
	}
	$meta = array(
		META_HELD     => $held ? '1' : '0',
		META_FINDINGS => $findings ? maybe_serialize( $findings ) : '',
		META_ENDPOINT => is_string( $draft['endpoint'] ?? null ) ? sanitize_text_field( $draft['endpoint'] ) : '',
	);
	if ( is_array( $draft['prompt'] ?? null ) ) {
		$meta[ META_PRESET ]         = sanitize_key( $draft['prompt']['preset'] );
		$meta[ META_PRESET_VERSION ] = sanitize_text_field( $draft['prompt']['version'] );
	}
	if ( null !== $priced ) {
		$meta[ META_PROMPT_TOKENS ]     = (string) $priced['prompt_tokens'];
		$meta[ META_COMPLETION_TOKENS ] = (string) $priced['completion_tokens'];
		$meta[ META_COST_MICROS ]       = (string) $priced['micros'];
	}
	if ( is_array( $draft['relevance'] ?? null ) ) {
		$meta[ META_RELEVANCE ] = maybe_serialize(
			array(
				'score'  => (int) $draft['relevance']['score'],
				'reason' => sanitize_text_field( $draft['relevance']['reason'] ),
			)
		);
	}
	return $meta;
}

/**
 * A post's findings.
 *
 * @since 0.2.0
 *
 * @return array<int, array{code: string, message: string, hold: bool, draft_text: ?string, source_text: ?string}>
 */
function findings( int $post_id ): array {
	$findings = get_post_meta( $post_id, META_FINDINGS, true );
	return is_array( $findings ) ? $findings : array();
}

/**
 * A post's checks in a few words, for lists: "2 holds, 1 note", "no findings".
 *
 * @since 0.2.0
 */
function checks_summary( int $post_id ): string {
	if ( '' === (string) get_post_meta( $post_id, META_HELD, true ) ) {
		return '';
	}
	$findings = findings( $post_id );
	$holds    = count( array_filter( $findings, static fn( $f ) => ! empty( $f['hold'] ) ) );
	$notes    = count( $findings ) - $holds;
	if ( ! $findings ) {
		return __( 'Checked: no findings', 'automationtools-ai' );
	}
	$parts = array();
	if ( $holds ) {
		/* translators: %d: number of findings that hold the draft. */
		$parts[] = sprintf( _n( '%d finding held it', '%d findings held it', $holds, 'automationtools-ai' ), $holds );
	}
	if ( $notes ) {
		/* translators: %d: number of notes. */
		$parts[] = sprintf( _n( '%d note', '%d notes', $notes, 'automationtools-ai' ), $notes );
	}
	return implode( ', ', $parts );
}

/**
 * Add the box to the editor of posts made from a draft.
 *
 * @since 0.2.0
 *
 * @param string  $post_type Post type.
 * @param WP_Post $post      The post.
 */
function add_meta_box( $post_type, $post ): void {
	if ( 'post' !== $post_type || ! $post instanceof WP_Post || '' === (string) get_post_meta( $post->ID, Posts\META_ITEM_KEY, true ) ) {
		return;
	}
	\add_meta_box( 'atai-provenance', __( 'AutomationTools.AI', 'automationtools-ai' ), __NAMESPACE__ . '\\render_box', 'post', 'side', 'high' );
}

/**
 * The box: where the post came from, what it cost, what the checks found, who approved it.
 *
 * @since 0.2.0
 *
 * @param WP_Post $post The post.
 */
function render_box( $post ): void {
	$id   = $post->ID;
	$rows = array();
	$url  = (string) get_post_meta( $id, Posts\META_SOURCE_URL, true );
	if ( '' !== $url ) {
		$rows[ __( 'Source', 'automationtools-ai' ) ] = '<a href="' . esc_url( $url ) . '" rel="noopener noreferrer">' . esc_html( wp_parse_url( $url, PHP_URL_HOST ) ?: $url ) . '</a>';
	}
	$rewritten = '1' === (string) get_post_meta( $id, Posts\META_REWRITTEN, true );
	$rows[ __( 'Text', 'automationtools-ai' ) ] = esc_html( $rewritten ? __( 'Written by the model', 'automationtools-ai' ) : __( 'The cleaned original', 'automationtools-ai' ) );
	foreach ( array(
		Posts\META_MODEL => __( 'Model', 'automationtools-ai' ),
		META_ENDPOINT    => __( 'Endpoint', 'automationtools-ai' ),
	) as $key => $label ) {
		$value = (string) get_post_meta( $id, $key, true );
		if ( '' !== $value ) {
			$rows[ $label ] = '<code>' . esc_html( $value ) . '</code>';
		}
	}
	$preset = (string) get_post_meta( $id, META_PRESET, true );
	if ( '' !== $preset ) {
		/* translators: 1: preset name, 2: its version. */
		$rows[ __( 'Preset', 'automationtools-ai' ) ] = esc_html( sprintf( __( '%1$s (version %2$s)', 'automationtools-ai' ), $preset, get_post_meta( $id, META_PRESET_VERSION, true ) ) );
	}
	$prompt = (string) get_post_meta( $id, META_PROMPT_TOKENS, true );
	if ( '' !== $prompt ) {
		$rows[ __( 'Tokens', 'automationtools-ai' ) ] = esc_html(
			/* translators: 1: input tokens, 2: output tokens. */
			sprintf( __( '%1$s in, %2$s out', 'automationtools-ai' ), number_format_i18n( (int) $prompt ), number_format_i18n( (int) get_post_meta( $id, META_COMPLETION_TOKENS, true ) ) )
		);
		$rows[ __( 'Cost', 'automationtools-ai' ) ] = esc_html( Costs\dollars( (int) get_post_meta( $id, META_COST_MICROS, true ) ) );
	}
	$relevance = get_post_meta( $id, META_RELEVANCE, true );
	if ( is_array( $relevance ) ) {
		/* translators: 1: score, 2: reason. */
		$rows[ __( 'Relevance', 'automationtools-ai' ) ] = esc_html( sprintf( __( '%1$d of 100: %2$s', 'automationtools-ai' ), $relevance['score'], $relevance['reason'] ) );
	}
	$approver = (int) get_post_meta( $id, Reviews\META_APPROVED_BY, true );
	if ( $approver ) {
		$user = get_userdata( $approver );
		/* translators: 1: user's display name, 2: date and time. */
		$rows[ __( 'Approved', 'automationtools-ai' ) ] = esc_html( sprintf( __( 'by %1$s, %2$s', 'automationtools-ai' ), $user ? $user->display_name : '#' . $approver, get_post_meta( $id, Reviews\META_APPROVED_AT, true ) ) );
	}
	echo '<dl class="atai-provenance">';
	foreach ( $rows as $label => $value ) {
		echo '<dt>' . esc_html( $label ) . '</dt><dd>' . $value . '</dd>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- each value is escaped above.
	}
	echo '</dl>';
	render_findings( findings( $id ) );
	$key = (string) get_post_meta( $id, Posts\META_ITEM_KEY, true );
	$item = \ATAI\Ledger\get( $key );
	if ( $item && 'held' === $item['state'] ) {
		echo '<p class="atai-held"><strong>' . esc_html__( 'This draft waits for review.', 'automationtools-ai' ) . '</strong> ';
		echo esc_html__( 'Publishing it approves it in your name; moving it to the trash discards it.', 'automationtools-ai' ) . ' ';
		echo '<a href="' . esc_url( Reviews_Page\url( array( 'item' => $key ) ) ) . '">' . esc_html__( 'Compare with the source', 'automationtools-ai' ) . '</a></p>';
	}
}

/**
 * Findings as a list, those that hold first.
 *
 * @since 0.2.0
 *
 * @param array<int, array<string, mixed>> $findings Findings.
 */
function render_findings( array $findings ): void {
	if ( ! $findings ) {
		echo '<p>' . esc_html__( 'The checks found nothing to report.', 'automationtools-ai' ) . '</p>';
		return;
	}
	usort( $findings, static fn( $a, $b ) => (int) ! empty( $b['hold'] ) - (int) ! empty( $a['hold'] ) );
	echo '<ul class="atai-findings">';
	foreach ( $findings as $finding ) {
		$hold = ! empty( $finding['hold'] );
		echo '<li class="' . ( $hold ? 'is-hold' : 'is-note' ) . '"><strong>' . esc_html( $hold ? __( 'Held:', 'automationtools-ai' ) : __( 'Note:', 'automationtools-ai' ) ) . '</strong> ' . esc_html( $finding['message'] ) . '</li>';
	}
	echo '</ul>';
}
